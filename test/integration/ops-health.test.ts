// The health endpoints of the real proxy process, as Kubernetes probes use them: /startup and
// /liveness answer 200 once the listeners are up, and /readiness follows the upstream: 503 while
// the DSQL endpoint (the stand-in) or the Data API (the emulator) is gone, 200 again when it is
// back. `--readiness-cache 0` makes every probe check afresh, so the polling below stays short.
import { beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { freePort } from '../harness/ports.js';
import { TEST_CREDENTIALS, type ProxyProcess } from '../harness/proxy-process.js';
import type { DsqlStandIn } from '../harness/dsql-standin.js';
import { useDsqlStack } from './dsql-fixture.js';
import { useDataApiStack } from './dataapi-fixture.js';

interface Answer {
  status: number;
  body: string;
}

async function get(port: number, path: string, method = 'GET'): Promise<Answer> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  return { status: res.status, body: await res.text() };
}

/** Probes /readiness until it answers `status` (bounded); returns the last answer. */
async function readinessBecomes(port: number, status: number, timeoutMs = 10_000): Promise<Answer> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await get(port, '/readiness');
    if (answer.status === status || Date.now() > deadline) return answer;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function expectProbesUp(port: number): Promise<void> {
  expect(await get(port, '/startup')).toEqual({ status: 200, body: 'ok\n' });
  expect(await get(port, '/liveness')).toEqual({ status: 200, body: 'ok\n' });
  expect(await get(port, '/readiness')).toEqual({ status: 200, body: 'ok\n' });
  // Probe configurations with a trailing slash or HEAD work too; anything else is refused.
  expect((await get(port, '/readiness/')).status).toBe(200);
  expect(await get(port, '/liveness', 'HEAD')).toEqual({ status: 200, body: '' });
  expect((await get(port, '/nothing-here')).status).toBe(404);
  expect((await get(port, '/liveness', 'POST')).status).toBe(405);
}

/** A not-ready reason never carries a credential or a signed token. */
function expectSafeReason(body: string): void {
  expect(body).toMatch(/^not ready: \S/);
  expect(body).not.toContain(TEST_CREDENTIALS.secretAccessKey);
  expect(body).not.toContain(TEST_CREDENTIALS.accessKeyId);
  expect(body).not.toMatch(/X-Amz-Signature=[0-9a-f]/i);
}

describe('health endpoints in dsql mode', () => {
  const stack = useDsqlStack();
  let standIn: DsqlStandIn;
  let proxy: ProxyProcess;
  let adminPort: number;

  beforeAll(async () => {
    // A stand-in of its own, so that taking it down disturbs nothing else.
    standIn = await stack().startStandIn();
    adminPort = await freePort();
    proxy = await stack().startProxy({
      standIn,
      extraArgs: ['--metrics-listen', `127.0.0.1:${adminPort}`, '--readiness-cache', '0'],
    });
  });

  it('answers the probes, and readiness follows the endpoint going away and coming back', async () => {
    await expectProbesUp(adminPort);

    await standIn.closeListener();
    const down = await readinessBecomes(adminPort, 503);
    expect(down.status).toBe(503);
    expectSafeReason(down.body);
    // The process is still alive and started: only readiness changes.
    expect((await get(adminPort, '/liveness')).status).toBe(200);
    expect((await get(adminPort, '/startup')).status).toBe(200);
    await proxy.waitForLog(/readiness: not ready/);

    await standIn.reopen();
    const up = await readinessBecomes(adminPort, 200);
    expect(up).toEqual({ status: 200, body: 'ok\n' });

    // And clients get through again.
    const client = new pg.Client(stack().pgConfig(proxy));
    await client.connect();
    try {
      expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await client.end();
    }
  });

  it('caches the readiness answer for --readiness-cache seconds', async () => {
    const cachedAdmin = await freePort();
    const cached = await stack().startProxy({
      standIn,
      extraArgs: ['--metrics-listen', `127.0.0.1:${cachedAdmin}`, '--readiness-cache', '60'],
    });
    expect((await get(cachedAdmin, '/readiness')).status).toBe(200);
    await standIn.closeListener();
    try {
      // The endpoint is gone, but the answer of a moment ago is still reused.
      expect((await get(cachedAdmin, '/readiness')).status).toBe(200);
      // The uncached proxy on the same endpoint sees it at once.
      expect((await readinessBecomes(adminPort, 503)).status).toBe(503);
    } finally {
      await standIn.reopen();
      await cached.stop();
    }
  });
});

describe('health endpoints in data-api mode', () => {
  const stack = useDataApiStack();
  let emulator: RunningEmulator | undefined;
  let emulatorPort: number;
  let proxy: ProxyProcess;
  let adminPort: number;

  const startOwnEmulator = () =>
    startEmulator({ postgresUrl: stack().db.url, credentials: TEST_CREDENTIALS, region: 'us-east-1', port: emulatorPort });

  beforeAll(async () => {
    emulatorPort = await freePort();
    emulator = await startOwnEmulator();
    expect(emulator.port).toBe(emulatorPort);
    adminPort = await freePort();
    proxy = await stack().startProxy([
      '--endpoint-url', emulator.url,
      '--metrics-listen', `127.0.0.1:${adminPort}`,
      '--readiness-cache', '0',
    ]);
    return async () => {
      await emulator?.stop();
    };
  });

  it('answers the probes, and readiness follows the Data API going away and coming back', async () => {
    await expectProbesUp(adminPort);
    expect(emulator!.stats().calls.ExecuteStatement).toBeGreaterThanOrEqual(1); // readiness made a real call

    await emulator!.stop();
    emulator = undefined;
    const down = await readinessBecomes(adminPort, 503);
    expect(down.status).toBe(503);
    expectSafeReason(down.body);
    expect((await get(adminPort, '/liveness')).status).toBe(200);

    emulator = await startOwnEmulator();
    const up = await readinessBecomes(adminPort, 200);
    expect(up).toEqual({ status: 200, body: 'ok\n' });

    const client = new pg.Client({ host: proxy.host, port: proxy.port, user: 'postgres', database: 'postgres' });
    await client.connect();
    try {
      expect((await client.query('select 2 as two')).rows).toEqual([{ two: 2 }]);
    } finally {
      await client.end();
    }
  });

  it('is not ready when the endpoint is a port nothing listens on', async () => {
    const nowhere = await freePort();
    const nowhereAdmin = await freePort();
    const lost = await stack().startProxy([
      '--endpoint-url', `http://127.0.0.1:${nowhere}`,
      '--metrics-listen', `127.0.0.1:${nowhereAdmin}`,
    ]);
    try {
      expect((await get(nowhereAdmin, '/startup')).status).toBe(200);
      expect((await get(nowhereAdmin, '/liveness')).status).toBe(200);
      const answer = await get(nowhereAdmin, '/readiness');
      expect(answer.status).toBe(503);
      expectSafeReason(answer.body);
    } finally {
      await lost.stop();
    }
  });
});
