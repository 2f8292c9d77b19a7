// --relay-io: the native relay on io_uring (the default wherever the kernel allows it) and on
// epoll moves the same bytes, says which it runs where it says it listens, and falls back to
// epoll where io_uring is refused, as the default seccomp profiles of Docker and containerd do.
// The refusal is made real here with the kernel's own switch: io_uring_disabled=1 leaves
// io_uring to processes with CAP_SYS_ADMIN, and the proxy runs under setpriv without it.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPsql } from '../harness/clients.js';
import { CLI, credentialEnv, isolatedAwsEnv, type ProxyProcess } from '../harness/proxy-process.js';
import { DSQL_HOSTNAME, useDsqlStack } from './dsql-fixture.js';

const run = promisify(execFile);
const stack = useDsqlStack();
const SWITCH = '/proc/sys/kernel/io_uring_disabled';
const SETPRIV = '/usr/bin/setpriv';
const WITHOUT_SYS_ADMIN = [SETPRIV, '--bounding-set', '-sys_admin', '--inh-caps', '-sys_admin'];
/** 30 MB over many TLS records and receives, and rows small enough to come several to a record. */
const LONG_RESULT = "select g, md5(g::text) as h, repeat('x', g % 300) as filler from generate_series(1, 120000) g";

function relayOf(proxy: ProxyProcess): unknown {
  return proxy.logRecords().find((r) => typeof r.msg === 'string' && r.msg.startsWith('listening on'))?.relay;
}

/**
 * The relay's rings in a process: io_uring descriptors with its 8192-entry completion queue.
 * Node's own libuv makes rings of its own (Node 24 does, for files), with other sizes.
 */
function ringsOf(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`) === 'anon_inode:[io_uring]' && /^CqMask:\s*0x1fff$/m.test(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
    } catch {
      return false;
    }
  }).length;
}

async function md5Through(port: number, host = '127.0.0.1', user = 'admin'): Promise<string> {
  const r = await runPsql(`host=${host} port=${port} user=${user} dbname=postgres sslmode=disable`, ['-Atc', `select md5(string_agg(t::text, '|' order by g)) from (${LONG_RESULT}) t`]);
  expect(r.stderr).toBe('');
  return r.stdout.trim();
}

/** The whole result as psql receives it, row by row, hashed here. */
async function streamedThrough(port: number): Promise<{ rows: number; bytes: number }> {
  const r = await runPsql(`host=127.0.0.1 port=${port} user=admin dbname=postgres sslmode=require`, ['-Atc', LONG_RESULT], { timeoutMs: 120_000 });
  expect(r.code).toBe(0);
  return { rows: r.stdout.split('\n').filter(Boolean).length, bytes: r.stdout.length };
}

/** node-postgres with the extended protocol, 50 queries pipelined on one connection. */
async function pipelined(proxy: ProxyProcess): Promise<number[]> {
  const c = new pg.Client(stack().pgConfig(proxy));
  await c.connect();
  try {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => c.query({ text: 'select $1::int * 2 as n', values: [i] })));
    return results.map((r) => r.rows[0].n as number);
  } finally {
    await c.end();
  }
}

describe('--relay-io', () => {
  let direct: string;
  beforeAll(async () => {
    direct = await md5Through(stack().db.port, stack().db.host, 'postgres');
  });

  for (const io of ['io_uring', 'epoll'] as const) {
    it(`${io}: says so, and moves long results, TLS and pipelined queries unchanged`, async () => {
      const proxy = await stack().startProxy({ extraArgs: ['--relay-io', io] });
      expect(relayOf(proxy)).toBe(`native on ${io}`);
      expect(ringsOf(proxy.child.pid!)).toBe(io === 'io_uring' ? 1 : 0);
      expect(await md5Through(proxy.port)).toBe(direct);
      expect(await streamedThrough(proxy.port)).toMatchObject({ rows: 120000 });
      expect(await pipelined(proxy)).toEqual(Array.from({ length: 50 }, (_, i) => i * 2));
      expect(proxy.logRecords().filter((r) => Number(r.level) >= 50)).toEqual([]);
    });
  }

  it('refuses a value it does not know', async () => {
    const r = await run(process.execPath, [CLI, 'dsql', '--host', DSQL_HOSTNAME, '--relay-io', 'poll'], { env: isolatedAwsEnv(credentialEnv()) }).catch((e: { code: number; stderr: string }) => e);
    expect(r).toMatchObject({ code: 2 });
    expect((r as { stderr: string }).stderr).toContain('--relay-io: must be one of auto, io_uring, epoll (got "poll")');
  });

  describe('where the kernel refuses io_uring', () => {
    // Root (which the suite runs as) may set the switch; elsewhere this cannot be arranged.
    const canRefuse = existsSync(SWITCH) && existsSync(SETPRIV) && process.getuid?.() === 0;
    let before = '0';
    beforeAll(() => {
      if (!canRefuse) return;
      before = readFileSync(SWITCH, 'utf8').trim();
      // 1: only processes with CAP_SYS_ADMIN (every other proxy of the suite) may make rings.
      if (before === '0') writeFileSync(SWITCH, '1');
    });
    afterAll(() => {
      if (canRefuse && before === '0') writeFileSync(SWITCH, '0');
    });

    it.runIf(canRefuse)('auto falls back to epoll, says why, and serves clients', async () => {
      const proxy = await stack().startProxy({ launcher: WITHOUT_SYS_ADMIN, extraArgs: ['--relay-io', 'auto'] });
      expect(relayOf(proxy)).toMatch(/^native on epoll \(io_uring: io_uring_setup failed: Operation not permitted\)$/);
      expect(ringsOf(proxy.child.pid!)).toBe(0);
      expect(await md5Through(proxy.port)).toBe(direct);
      expect(await pipelined(proxy)).toHaveLength(50);
    });

    it.runIf(canRefuse)('--relay-io io_uring refuses to start, saying why', async () => {
      const args = [...WITHOUT_SYS_ADMIN.slice(1), process.execPath, CLI, 'dsql', '--host', DSQL_HOSTNAME, '--listen', '127.0.0.1:0', '--relay-io', 'io_uring'];
      const r = await run(SETPRIV, args, { env: isolatedAwsEnv(credentialEnv()), timeout: 20_000 }).catch((e: { code: number; stderr: string }) => e);
      expect(r).toMatchObject({ code: 2 });
      expect((r as { stderr: string }).stderr).toContain('--relay-io: io_uring is not available: io_uring_setup failed: Operation not permitted');
    });
  });
});
