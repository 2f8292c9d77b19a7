// The life cycle of the real proxy process in both modes: on SIGTERM it stops accepting at once,
// lets a running query finish, ends sessions still open after --max-sigterm-delay with FATAL
// 57P01 and exits 0; --idle-timeout ends an idle session with FATAL 57P05; --max-connections
// refuses the connection past the limit with 53300.
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import type { ProxyProcess } from '../harness/proxy-process.js';
import { useDsqlStack } from './dsql-fixture.js';
import { useDataApiStack } from './dataapi-fixture.js';

interface ModeUnderTest {
  name: string;
  startProxy(args: string[]): Promise<ProxyProcess>;
  clientConfig(proxy: ProxyProcess): pg.ClientConfig;
}

const dsql = useDsqlStack();
const dataApi = useDataApiStack();

const MODES: ModeUnderTest[] = [
  {
    name: 'dsql',
    startProxy: (args) => dsql().startProxy({ extraArgs: args }),
    clientConfig: (proxy) => dsql().pgConfig(proxy),
  },
  {
    name: 'data-api',
    startProxy: (args) => dataApi().startProxy(args),
    clientConfig: (proxy) => ({ host: proxy.host, port: proxy.port, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 10_000 }),
  },
];

async function connected(config: pg.ClientConfig): Promise<pg.Client> {
  const client = new pg.Client(config);
  await client.connect();
  return client;
}

/** The next error the client reports on its own (a FATAL from the server), within a bound. */
function nextError(client: pg.Client, timeoutMs: number): Promise<pg.DatabaseError> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no error within ${timeoutMs} ms`)), timeoutMs);
    client.once('error', (err) => {
      clearTimeout(timer);
      resolve(err as pg.DatabaseError);
    });
  });
}

/** What a plain TCP connect to the port ends with: 'connected' or the error code. */
function tcpConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

/** Resolves with the exit code, or fails after timeoutMs. */
function exitWithin(proxy: ProxyProcess, timeoutMs: number): Promise<number | null> {
  return Promise.race([
    proxy.exited,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`proxy still running after ${timeoutMs} ms:\n${proxy.output()}`)), timeoutMs)),
  ]);
}

describe.each(MODES)('lifecycle in $name mode', (mode) => {
  it('on SIGTERM: the running query finishes, new connections are refused, the exit code is 0', async () => {
    const proxy = await mode.startProxy(['--max-sigterm-delay', '10']);
    const client = await connected(mode.clientConfig(proxy));
    client.on('error', () => {});
    const running = client.query('select pg_sleep(2) as slept, 42 as answer');
    // Let the query reach the upstream before the signal.
    await new Promise((r) => setTimeout(r, 300));
    proxy.child.kill('SIGTERM');
    await proxy.waitForLog(/shutting down: no longer accepting connections/, 5000);
    expect(proxy.logRecords().find((r) => r.msg === 'shutting down: no longer accepting connections')).toMatchObject({ activeSessions: 1 });

    expect(await tcpConnect(proxy.port)).toBe('ECONNREFUSED');
    const late = new pg.Client(mode.clientConfig(proxy));
    await expect(late.connect()).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    const result = await running;
    expect(result.rows).toEqual([{ slept: '', answer: 42 }]);
    // The session is still served during the grace period.
    expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    await client.end();

    // With no session left, the proxy exits at once rather than waiting out the 10 seconds.
    expect(await exitWithin(proxy, 8000)).toBe(0);
    await proxy.waitForLog(/shutdown complete/, 1000);
  });

  it('after --max-sigterm-delay, ends the sessions still open with FATAL 57P01 and exits 0', async () => {
    const proxy = await mode.startProxy(['--max-sigterm-delay', '1']);
    const idle = await connected(mode.clientConfig(proxy));
    const busy = await connected(mode.clientConfig(proxy));
    busy.on('error', () => {});
    const idleError = nextError(idle, 8000);
    // A query longer than the grace period: cut short too.
    const long = busy.query('select pg_sleep(5)').then(
      () => null,
      (e: Error) => e,
    );
    await new Promise((r) => setTimeout(r, 300));
    proxy.child.kill('SIGTERM');

    const err = await idleError;
    idle.on('error', () => {}); // the close that follows the FATAL
    expect(err.code).toBe('57P01');
    expect(err.severity).toBe('FATAL');
    expect(err.message).toMatch(/terminat|shut/i);
    // The running query is cut short with 57P01 too. (In data-api mode the Data API call itself
    // cannot be stopped: the proxy drops its answer and rolls its transaction back.)
    const longErr = await long;
    expect(longErr).toMatchObject({ code: '57P01' });
    expect(await exitWithin(proxy, 10_000)).toBe(0);
    const closed = proxy.logRecords().filter((r) => r.msg === 'connection closed');
    expect(closed.map((r) => r.outcome)).toEqual(['shutdown', 'shutdown']);
  });

  it('ends a session idle for --idle-timeout seconds with FATAL 57P05', async () => {
    const proxy = await mode.startProxy(['--idle-timeout', '1']);
    const client = await connected(mode.clientConfig(proxy));
    // Traffic resets the clock: a session that keeps talking is not idle.
    for (let i = 0; i < 3; i++) {
      expect((await client.query('select $1::int as i', [i])).rows).toEqual([{ i }]);
      await new Promise((r) => setTimeout(r, 500));
    }
    const err = await nextError(client, 5000);
    client.on('error', () => {}); // the close that follows the FATAL
    expect(err.code).toBe('57P05');
    expect(err.severity).toBe('FATAL');
    await proxy.waitForLog(/"outcome":"idle_timeout"/, 3000);
    // Other clients are unaffected.
    const next = await connected(mode.clientConfig(proxy));
    expect((await next.query('select 7 as seven')).rows).toEqual([{ seven: 7 }]);
    await next.end();
  });

  it('refuses the connection past --max-connections with 53300, and admits again when one leaves', async () => {
    const proxy = await mode.startProxy(['--max-connections', '2']);
    const a = await connected(mode.clientConfig(proxy));
    const b = await connected(mode.clientConfig(proxy));
    const c = new pg.Client(mode.clientConfig(proxy));
    await expect(c.connect()).rejects.toMatchObject({ code: '53300', message: 'sorry, too many clients already' });
    expect((await a.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    await b.end();
    // The slot is freed when the proxy sees the connection close: retry briefly.
    let d: pg.Client | undefined;
    for (let attempt = 0; attempt < 20 && !d; attempt++) {
      d = await connected(mode.clientConfig(proxy)).catch(async () => {
        await new Promise((r) => setTimeout(r, 100));
        return undefined;
      });
    }
    expect(d).toBeDefined();
    expect((await d!.query('select 2 as two')).rows).toEqual([{ two: 2 }]);
    await Promise.all([a.end(), d!.end()]);
    const refused = proxy.logRecords().filter((r) => r.msg === 'connection closed' && r.outcome === 'rejected');
    expect(refused).toHaveLength(1);
  });
});
