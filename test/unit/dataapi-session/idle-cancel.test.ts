// A CancelRequest that arrives while the session waits for its client's next message cancels
// nothing, as on PostgreSQL ("query cancel is supposed to be a no-op when there is no query in
// progress": postgres.c discards it when the next command is read). A client reading a portal
// with a row limit (pg-cursor, pgJDBC's fetch size, asyncpg's cursor) sits idle between its
// Executes; a cancel meant for a batch that had already been answered must not fail the next one.
import { describe, expect, it } from 'vitest';
import { affected, intRows, type Script } from './fake-data-api.js';
import { serialize, summary, useSessionDrivers, type SessionDriver } from './session-driver.js';

const script: Script = (sql) => {
  if (/^DECLARE aurora_pg_proxy_cursor_\d+ NO SCROLL CURSOR FOR SELECT n FROM t$/.test(sql)) return affected(0);
  if (/^FETCH FORWARD \d+ FROM aurora_pg_proxy_cursor_\d+$/.test(sql)) return intRows(['n'], [[1], [2], [3], [4]]);
  if (/^CLOSE aurora_pg_proxy_cursor_\d+$/.test(sql)) return affected(0);
  if (sql === 'SELECT 1') return intRows(['?column?'], [[1]]);
  return undefined;
};

const startWith = useSessionDrivers();
const start = () => startWith(script);

/** Sends messages ending in Flush and waits for the PortalSuspended or CommandComplete they end with. */
async function untilSuspendedOrComplete(d: SessionDriver, ...messages: Buffer[]): Promise<string[]> {
  const from = d.received.length;
  d.send(...messages, serialize.flush());
  const done = () => d.received.slice(from).some((m) => m.name === 'portalSuspended' || m.name === 'commandComplete' || m.name === 'error');
  while (!done()) await new Promise((r) => setTimeout(r, 5));
  return summary(d.received.slice(from));
}

describe('Data API session, a cancel request while idle', () => {
  it('leaves the next Execute of a suspended portal alone, inside a transaction that then commits', async () => {
    const d = await start();
    await d.roundTrip(serialize.query('BEGIN'));
    const first = await untilSuspendedOrComplete(d, serialize.parse({ text: 'SELECT n FROM t' }), serialize.bind({ portal: 'c' }), serialize.execute({ portal: 'c', rows: 2 }));
    expect(first).toEqual(['parseComplete', 'bindComplete', 'dataRow ["1"]', 'dataRow ["2"]', 'portalSuspended']);
    // The batch was answered: the session is waiting for the client, no statement is running.
    d.cancel();
    const rest = await untilSuspendedOrComplete(d, serialize.execute({ portal: 'c', rows: 2 }));
    expect(rest).toEqual(['dataRow ["3"]', 'dataRow ["4"]', 'commandComplete SELECT 4']);
    expect(summary(await d.roundTrip(serialize.sync()))).toEqual(['readyForQuery T']);
    expect(summary(await d.roundTrip(serialize.query('COMMIT')))).toEqual(['commandComplete COMMIT', 'readyForQuery I']);
  });

  it('still cancels a statement whose call is running (pgJDBC\'s pipeline, run at its Describe)', async () => {
    const d = await start();
    let release = () => {};
    d.api.hold = () => new Promise<void>((resolve) => (release = resolve));
    const from = d.received.length;
    d.send(serialize.parse({ text: 'SELECT 1' }), serialize.bind(), serialize.describe({ type: 'P', name: '' }), serialize.execute(), serialize.sync());
    while (d.api.executing === 0) await new Promise((r) => setTimeout(r, 5));
    d.cancel();
    d.api.hold = null;
    release();
    await d.readyCount(2);
    expect(summary(d.received.slice(from))).toEqual(['parseComplete', 'bindComplete', 'rowDescription', 'error 57014', 'readyForQuery I']);
  });

  it('leaves the next simple query alone', async () => {
    const d = await start();
    d.cancel();
    expect(summary(await d.roundTrip(serialize.query('SELECT 1')))).toEqual(['rowDescription', 'dataRow ["1"]', 'commandComplete SELECT 1', 'readyForQuery I']);
  });
});
