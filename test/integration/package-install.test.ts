// The container's dependency set, proven without Docker: the Dockerfile is read and followed
// (its COPY lines give the files, its RUN lines the commands: `npm ci`, the build, `npm prune
// --omit=dev`) in a temporary directory, and the result is run as an unprivileged user: every
// subcommand's --help, then one real session (the emulator, the proxy in data-api mode in front
// of it, and node-postgres through both). A runtime dependency missing from `dependencies`
// fails here rather than in a user's image.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type ThrowawayPostgres } from '../harness/postgres.js';
import { REPO_ROOT, credentialEnv, isolatedAwsEnv } from '../harness/proxy-process.js';
import { freePort } from '../harness/ports.js';
import { RESOURCE_ARN, SECRET_ARN } from './dataapi-fixture.js';

type Step = { kind: 'copy'; from?: string; sources: string[]; dest: string } | { kind: 'run'; command: string };

interface Stage {
  name?: string;
  /** COPY and RUN lines, in order. */
  steps: Step[];
}

/** The Dockerfile's stages: which files each copies and what it runs, in order. */
function readDockerfile(): Stage[] {
  const text = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const stages: Stage[] = [];
  for (const line of text.split('\n').map((l) => l.trim())) {
    const from = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) stages.push({ name: from[1], steps: [] });
    const stage = stages.at(-1);
    if (!stage) continue;
    if (/^COPY\s/i.test(line)) {
      const words = line.split(/\s+/).slice(1);
      const fromStage = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
      const paths = words.filter((w) => !w.startsWith('--'));
      stage.steps.push({ kind: 'copy', from: fromStage, sources: paths.slice(0, -1), dest: paths.at(-1)! });
    }
    const run = /^RUN\s+(.*)$/i.exec(line);
    if (run) stage.steps.push({ kind: 'run', command: run[1] });
  }
  return stages;
}

function copyInto(sources: string[], fromDir: string, dest: string, workdir: string): void {
  const target = dest.startsWith('/app') ? join(workdir, dest.slice('/app'.length)) : join(workdir, dest);
  for (const src of sources) {
    const relative = src.startsWith('/app/') ? src.slice('/app/'.length) : src;
    const isDirTarget = dest.endsWith('/') || sources.length > 1;
    const to = isDirTarget ? join(target, relative.split('/').at(-1)!) : target;
    mkdirSync(join(to, '..'), { recursive: true });
    cpSync(join(fromDir, relative), to, { recursive: true });
  }
}

const UNPRIVILEGED = 'postgres';
const asRoot = process.getuid?.() === 0;

describe('the package as the Dockerfile installs it', () => {
  let dir: string;
  let app: string;
  let node: string;
  let db: ThrowawayPostgres;
  const children: ChildProcess[] = [];

  /** A command line that runs `node` from the installed package as the unprivileged user. */
  const asUser = (args: string[]): [string, string[]] =>
    asRoot ? ['setpriv', ['--reuid', UNPRIVILEGED, '--regid', UNPRIVILEGED, '--clear-groups', '--', node, ...args]] : [node, args];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'apgp-package-'));
    chmodSync(dir, 0o755);
    const stages = readDockerfile();
    expect(stages.length).toBe(2);
    const [build, runtime] = stages;
    const buildDir = join(dir, 'build');
    mkdirSync(buildDir);
    for (const step of build.steps) {
      if (step.kind === 'copy') copyInto(step.sources, REPO_ROOT, step.dest, buildDir);
      else {
        execFileSync('sh', ['-c', step.command], {
          cwd: buildDir,
          // The machine's npm cache serves the packages: no download when it holds them.
          env: { ...process.env, npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false' },
          stdio: 'pipe',
          timeout: 400_000,
        });
      }
    }
    // The runtime stage: what it takes from the build stage and from the repository.
    app = join(dir, 'app');
    mkdirSync(app);
    for (const step of runtime.steps) {
      // A RUN in the runtime stage would change what the image holds: this test would need to follow it.
      if (step.kind !== 'copy') throw new Error(`the runtime stage runs \`${step.command}\`: teach package-install.test.ts to follow it`);
      copyInto(step.sources, step.from === build.name ? buildDir : REPO_ROOT, step.dest, app);
    }
    rmSync(buildDir, { recursive: true, force: true });

    // The unprivileged user must be able to run this Node (under root's home it cannot).
    node = process.execPath;
    if (asRoot) {
      try {
        execFileSync('setpriv', ['--reuid', UNPRIVILEGED, '--regid', UNPRIVILEGED, '--clear-groups', '--', node, '--version'], { stdio: 'pipe' });
      } catch {
        node = join(dir, 'node');
        copyFileSync(process.execPath, node);
        chmodSync(node, 0o755);
      }
    }
    db = await startPostgres();
  }, 480_000);

  afterAll(async () => {
    for (const c of children) c.kill('SIGTERM');
    await db?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('holds production dependencies only', () => {
    const installed = JSON.parse(readFileSync(join(app, 'node_modules', '.package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    const dev = Object.entries(installed.packages).filter(([, p]) => p.dev);
    expect(dev.map(([name]) => name)).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    for (const name of Object.keys(manifest.devDependencies)) expect(installed.packages[`node_modules/${name}`], name).toBeUndefined();
  });

  it("answers every subcommand's --help as an unprivileged user", () => {
    const cli = join(app, 'bin', 'aurora-pg-proxy.js');
    const run = (args: string[]) => {
      const [file, argv] = asUser([cli, ...args]);
      return execFileSync(file, argv, { cwd: app, env: { ...isolatedAwsEnv(), NODE_ENV: 'production' }, stdio: 'pipe', timeout: 60_000 }).toString();
    };
    const top = run(['--help']);
    const commands = [...(top.split(/^Commands:$/m)[1] ?? '').matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]).filter((c) => c !== 'help');
    expect(commands).toEqual(expect.arrayContaining(['dsql', 'data-api', 'emulate-data-api', 'demo']));
    for (const command of commands) expect(run([command, '--help']), command).toMatch(new RegExp(`^Usage: aurora-pg-proxy ${command} `));
  }, 120_000);

  it('serves a real session: emulator and data-api proxy from the install, node-postgres through them', async () => {
    const start = async (args: string[], ready: RegExp) => {
      const [file, argv] = asUser([join(app, 'bin', 'aurora-pg-proxy.js'), ...args]);
      const child = spawn(file, argv, {
        cwd: app,
        env: { ...isolatedAwsEnv(credentialEnv()), NODE_ENV: 'production', AURORA_PG_PROXY_LOG_FORMAT: 'json' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let out = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not ready within 30 s:\n${out}`)), 30_000);
        const onData = (d: Buffer) => {
          out += d.toString();
          if (ready.test(out)) {
            clearTimeout(timer);
            resolve();
          }
        };
        child.stdout!.on('data', onData);
        child.stderr!.on('data', onData);
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`exited with ${code}:\n${out}`));
        });
      });
      return child;
    };
    const emulatorPort = await freePort();
    await start(['emulate-data-api', '--postgres', db.url, '--verify-sigv4', '--listen', `127.0.0.1:${emulatorPort}`], /Data API emulator listening/);
    const proxyPort = await freePort();
    const proxy = await start(
      ['data-api', '--resource-arn', RESOURCE_ARN, '--secret-arn', SECRET_ARN, '--endpoint-url', `http://127.0.0.1:${emulatorPort}`, '--listen', `127.0.0.1:${proxyPort}`],
      /listening on/,
    );
    const client = new pg.Client({ host: '127.0.0.1', port: proxyPort, user: 'postgres', database: 'postgres' });
    await client.connect();
    try {
      const r = await client.query<{ one: number; who: string }>('select 1 as one, current_user as who');
      expect(r.rows).toEqual([{ one: 1, who: db.user }]);
      const p = await client.query<{ n: string }>('select $1::int8 * 2 as n', ['21']);
      expect(p.rows[0].n).toBe('42');
    } finally {
      await client.end();
    }
    // The processes really run as the unprivileged user.
    if (asRoot) {
      const uid = readFileSync(`/proc/${proxy.pid}/status`, 'utf8').match(/^Uid:\s+(\d+)/m)?.[1];
      expect(uid).toBe(execFileSync('id', ['-u', UNPRIVILEGED]).toString().trim());
    }
  }, 120_000);
});
