// Connections that end before a usable startup packet, in both modes, compared with PostgreSQL
// 15: node-postgres ending a client at once sends Terminate before its startup packet, and
// PostgreSQL closes such a connection (and one with any impossible startup length) without a
// byte of reply. The proxy must do the same, log nothing at warn or error, and count it as a
// connection closed before startup rather than a failure.
import { connect as connectTcp } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { serialize } from 'pg-protocol';
import { startPostgres, type ThrowawayPostgres } from '../harness/postgres.js';
import { freePort } from '../harness/ports.js';
import { credentialEnv, isolatedAwsEnv, startProxyProcess, type ProxyProcess } from '../harness/proxy-process.js';

const TERMINATE = Buffer.from([0x58, 0, 0, 0, 4]);
const STARTUP = serialize.startup({ user: 'postgres', database: 'postgres' });

const ABANDONED: Record<string, Buffer> = {
  'Terminate, then the startup packet (node-postgres ending at once)': Buffer.concat([TERMINATE, STARTUP]),
  'Terminate alone': TERMINATE,
  'an impossible length': Buffer.from([0, 0, 0, 3]),
  'a length over the limit': Buffer.concat([Buffer.from([0, 0, 0x4e, 0x20, 0, 3, 0, 0]), Buffer.alloc(64, 0x61)]),
  'no bytes at all': Buffer.alloc(0),
};

/** Sends bytes on a fresh connection, half-closes, and returns everything received until close. */
function exchange(port: number, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp({ host: '127.0.0.1', port });
    const received: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('the connection was not closed within 5 s'));
    }, 5000);
    socket.on('data', (d: Buffer) => received.push(d));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(received));
    });
    socket.on('connect', () => {
      socket.write(bytes);
      socket.end();
    });
  });
}

async function scrape(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

/** Log records at warn (40) or above. */
function warnings(proxy: ProxyProcess): Record<string, unknown>[] {
  return proxy.logRecords().filter((r) => typeof r.level === 'number' && r.level >= 40);
}

let postgres: ThrowawayPostgres;
const proxies: { mode: string; proxy: ProxyProcess; metricsPort: number }[] = [];

beforeAll(async () => {
  postgres = await startPostgres();
  // The listener answers startup before the mode's upstream is ever used: no endpoint is needed.
  const modes: [string, string[]][] = [
    ['data-api', ['data-api', '--resource-arn', 'arn:aws:rds:us-east-1:123456789012:cluster:c', '--secret-arn', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:s', '--endpoint-url', 'http://127.0.0.1:9']],
    ['dsql', ['dsql', '--host', 'abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws', '--connect-to', '127.0.0.1:9']],
  ];
  for (const [mode, args] of modes) {
    const metricsPort = await freePort();
    const proxy = await startProxyProcess([...args, '--metrics-listen', `127.0.0.1:${metricsPort}`], { env: isolatedAwsEnv(credentialEnv()) });
    await proxy.waitForLog(/metrics and health on/);
    proxies.push({ mode, proxy, metricsPort });
  }
});

afterAll(async () => {
  for (const { proxy } of proxies.splice(0)) await proxy.stop();
  await postgres?.stop();
});

describe('a connection that ends before its startup packet', () => {
  it('PostgreSQL 15 closes each kind without a reply', async () => {
    for (const [what, bytes] of Object.entries(ABANDONED)) {
      expect((await exchange(postgres.port, bytes)).length, what).toBe(0);
    }
  });

  it('the proxy closes each kind without a reply, in both modes', async () => {
    for (const { mode, proxy } of proxies) {
      for (const [what, bytes] of Object.entries(ABANDONED)) {
        expect((await exchange(proxy.port, bytes)).length, `${mode}: ${what}`).toBe(0);
      }
      expect(proxy.child.exitCode).toBeNull();
    }
  });

  it('node-postgres ended at once: no warning or error logged, counted as closed before startup', async () => {
    for (const { mode, proxy, metricsPort } of proxies) {
      const closedBefore = proxy.logRecords().filter((r) => r.msg === 'connection closed').length;
      const client = new pg.Client({ host: proxy.host, port: proxy.port, user: 'postgres', database: 'postgres' });
      const clientErrors: unknown[] = [];
      client.on('error', (e) => clientErrors.push(e));
      // node-postgres never settles connect() when end() comes first; only end() is awaited.
      void client.connect().catch(() => {});
      await client.end();
      // The proxy logs 'connection closed' once the handler has finished.
      await proxy.waitForLog(/connection closed/);
      for (let i = 0; i < 50 && proxy.logRecords().filter((r) => r.msg === 'connection closed').length <= closedBefore; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const closed = proxy.logRecords().filter((r) => r.msg === 'connection closed').slice(closedBefore);
      expect(closed.map((r) => r.outcome), mode).toEqual(['closed_before_startup']);
      expect(warnings(proxy), mode).toEqual([]);
      expect(clientErrors, mode).toEqual([]);
      const metrics = await scrape(metricsPort);
      expect(metrics, mode).toMatch(/aurora_pg_proxy_client_connections_total\{[^}]*outcome="closed_before_startup"[^}]*\} [1-9]/);
      expect(metrics, mode).not.toMatch(/aurora_pg_proxy_client_connections_total\{[^}]*outcome="error"[^}]*\} [1-9]/);
    }
  });
});
