import { describe, it, expect, afterEach } from 'vitest';
import { createProxyMetrics, startAdminServer, type AdminServer, type AdminServerOptions } from '../../../src/metrics/index.js';

const servers: AdminServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(overrides: Partial<AdminServerOptions> = {}): Promise<{ base: string; server: AdminServer }> {
  const metrics = createProxyMetrics({ collectDefault: false, version: '1.2.3' });
  const server = await startAdminServer({
    host: '127.0.0.1',
    port: 0,
    registry: metrics.registry,
    isStarted: () => true,
    checkReady: async () => {},
    ...overrides,
  });
  servers.push(server);
  return { base: `http://127.0.0.1:${server.port}`, server };
}

async function get(url: string, init?: RequestInit): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(url, init);
  return { status: res.status, body: await res.text(), headers: res.headers };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until the status is reached or the attempts run out; returns the last response. */
async function pollStatus(url: string, status: number, attempts = 100): Promise<{ status: number; body: string }> {
  let last = await get(url);
  for (let i = 0; i < attempts && last.status !== status; i++) {
    await sleep(20);
    last = await get(url);
  }
  return last;
}

describe('admin server', () => {
  it('binds the requested port 0 to a real port', async () => {
    const { server } = await start();
    expect(server.port).toBeGreaterThan(0);
  });

  it('serves the registry on /metrics with its content type', async () => {
    const { base } = await start();
    const res = await get(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(res.headers.get('content-type')).toContain('version=0.0.4');
    expect(res.body).toContain('# TYPE aurora_pg_proxy_build_info gauge');
    expect(res.body).toContain('aurora_pg_proxy_build_info{version="1.2.3"} 1');
  });

  it('shows observer updates in the next scrape', async () => {
    const metrics = createProxyMetrics({ collectDefault: false });
    const server = await startAdminServer({
      host: '127.0.0.1',
      port: 0,
      registry: metrics.registry,
      isStarted: () => true,
      checkReady: async () => {},
    });
    servers.push(server);
    metrics.forListener('main', 'dsql').bytes('upstream_to_client', 512);
    const res = await get(`http://127.0.0.1:${server.port}/metrics`);
    expect(res.body).toContain('aurora_pg_proxy_bytes_total{listener="main",direction="upstream_to_client"} 512');
  });

  it('answers /liveness with ok', async () => {
    const { base } = await start();
    expect(await get(`${base}/liveness`)).toMatchObject({ status: 200, body: 'ok\n' });
  });

  it('answers /startup with 503 until started, then 200', async () => {
    let started = false;
    const { base } = await start({ isStarted: () => started });
    expect((await get(`${base}/startup`)).status).toBe(503);
    started = true;
    expect(await get(`${base}/startup`)).toMatchObject({ status: 200, body: 'ok\n' });
  });

  it('answers HEAD without a body', async () => {
    const { base } = await start();
    const res = await get(`${base}/liveness`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.body).toBe('');
    expect((await get(`${base}/metrics`, { method: 'HEAD' })).status).toBe(200);
  });

  it('ignores a query string and a trailing slash', async () => {
    const { base } = await start();
    expect((await get(`${base}/liveness?probe=k8s`)).status).toBe(200);
    expect((await get(`${base}/readiness/`)).status).toBe(200);
  });

  it('answers unknown paths with 404', async () => {
    const { base } = await start();
    expect((await get(`${base}/`)).status).toBe(404);
    expect((await get(`${base}/quitquitquit`)).status).toBe(404);
    expect((await get(`${base}/metrics/extra`)).status).toBe(404);
  });

  it('answers other methods with 405 and an Allow header', async () => {
    const { base } = await start();
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await get(`${base}/metrics`, { method });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD');
    }
  });

  it('fails to start on a port already in use', async () => {
    const { server } = await start();
    await expect(
      startAdminServer({
        host: '127.0.0.1',
        port: server.port,
        registry: createProxyMetrics({ collectDefault: false }).registry,
        isStarted: () => true,
        checkReady: async () => {},
      }),
    ).rejects.toThrow(/EADDRINUSE/);
  });

  it('stops answering after close', async () => {
    const { base, server } = await start();
    expect((await get(`${base}/liveness`)).status).toBe(200); // leaves a keep-alive connection open
    await server.close();
    await expect(fetch(`${base}/liveness`)).rejects.toThrow();
  });
});

describe('admin server readiness', () => {
  it('is not ready before startup, without running the check', async () => {
    let calls = 0;
    const { base } = await start({
      isStarted: () => false,
      checkReady: async () => {
        calls++;
      },
    });
    expect((await get(`${base}/readiness`)).status).toBe(503);
    expect(calls).toBe(0);
  });

  it('answers 503 with the reason, then flips to 200 when the upstream returns', async () => {
    let up = false;
    const { base } = await start({
      readinessCacheMs: 50,
      checkReady: async () => {
        if (!up) throw new Error('cannot reach abc.dsql.us-east-1.on.aws:5432: ECONNREFUSED');
      },
    });
    const down = await get(`${base}/readiness`);
    expect(down.status).toBe(503);
    expect(down.body).toContain('ECONNREFUSED');
    up = true;
    expect(await pollStatus(`${base}/readiness`, 200)).toMatchObject({ status: 200, body: 'ok\n' });
    up = false;
    expect((await pollStatus(`${base}/readiness`, 503)).status).toBe(503);
  });

  it('reuses the cached result within readinessCacheMs', async () => {
    let calls = 0;
    const { base } = await start({
      readinessCacheMs: 60_000,
      checkReady: async () => {
        calls++;
        if (calls === 1) throw new Error('down');
      },
    });
    expect((await get(`${base}/readiness`)).status).toBe(503);
    expect((await get(`${base}/readiness`)).status).toBe(503);
    expect((await get(`${base}/readiness`)).status).toBe(503);
    expect(calls).toBe(1);
  });

  it('shares one in-flight check between concurrent requests', async () => {
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    // A long cache keeps a request that arrives after the release from starting a second check.
    const { base } = await start({
      readinessCacheMs: 60_000,
      checkReady: () => {
        calls++;
        return gate;
      },
    });
    const pending = Promise.all([1, 2, 3].map(() => get(`${base}/readiness`)));
    for (let i = 0; i < 100 && calls === 0; i++) await sleep(10);
    await sleep(30); // give the other two requests time to arrive while the check is held
    release();
    const results = await pending;
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(calls).toBe(1);
  });

  it('counts a hung check as not ready after the timeout', async () => {
    const { base } = await start({
      readinessTimeoutMs: 40,
      checkReady: () => new Promise<void>(() => {}),
    });
    const res = await get(`${base}/readiness`);
    expect(res.status).toBe(503);
    expect(res.body).toContain('did not finish within 40 ms');
  });

  it('does not leak a presigned token from a check error', async () => {
    const { base } = await start({
      checkReady: async () => {
        throw new Error('upstream rejected abc.dsql.us-east-1.on.aws/?Action=DbConnect&X-Amz-Signature=0123456789abcdef');
      },
    });
    const res = await get(`${base}/readiness`);
    expect(res.status).toBe(503);
    expect(res.body).toContain('upstream rejected');
    expect(res.body).not.toContain('0123456789abcdef');
  });

  it('logs readiness changes', async () => {
    const lines: Array<{ level: string; obj: unknown; msg: string }> = [];
    const rec = (level: string) => (obj: unknown, msg?: string) => {
      lines.push({ level, obj, msg: msg ?? '' });
    };
    let up = false;
    const log = { info: rec('info'), warn: rec('warn'), error: rec('error') } as unknown as AdminServerOptions['log'];
    const { base } = await start({
      log,
      readinessCacheMs: 0,
      checkReady: async () => {
        if (!up) throw new Error('down for maintenance');
      },
    });
    await get(`${base}/readiness`);
    await get(`${base}/readiness`);
    up = true;
    await get(`${base}/readiness`);
    expect(lines.map((l) => `${l.level} ${l.msg}`)).toEqual(['warn readiness: not ready', 'info readiness: ready']);
    expect(lines[0].obj).toEqual({ reason: 'down for maintenance' });
  });
});
