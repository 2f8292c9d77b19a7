// Runs the streaming client programs that are not JavaScript: the Python scripts here with Debian's
// /usr/bin/python3, and StreamingJdbc.java with Debian's pgJDBC jar, compiled once per test file.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PYTHON, clientEnv, run, type RunResult } from '../../../../harness/clients.js';
import { REPO_ROOT } from '../../../../harness/proxy-process.js';
import { jdbcUrl, type Target } from '../../targets.js';
import type { WorkloadResult } from '../../workload.js';

const HERE = join(REPO_ROOT, 'test', 'integration', 'compat', 'clients', 'streaming');
const JDBC_JAR = '/usr/share/java/postgresql.jar';

function parsed(program: string, r: RunResult): WorkloadResult {
  try {
    return JSON.parse(r.stdout) as WorkloadResult;
  } catch {
    throw new Error(`${program} printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}

/** Fails with the Debian packages to install when a module is missing (a missing client is a failure). */
export function requirePythonModules(modules: string, debianPackages: string): () => Promise<void> {
  return async () => {
    const probe = await run(PYTHON, ['-c', `import ${modules}`], { env: clientEnv({ PYTHONDONTWRITEBYTECODE: '1' }) });
    if (probe.code !== 0) throw new Error(`${PYTHON} cannot import ${modules} (install it with \`apt-get install -y ${debianPackages}\`): ${probe.stderr}`);
  };
}

export function pythonScript(script: string): (target: Target) => Promise<WorkloadResult> {
  return async (target) =>
    parsed(script, await run(PYTHON, [join(HERE, script), JSON.stringify(target)], { env: clientEnv({ PYTHONDONTWRITEBYTECODE: '1' }), timeoutMs: 120_000 }));
}

export async function requireJdbc(): Promise<void> {
  if (!existsSync(JDBC_JAR)) throw new Error(`${JDBC_JAR} is missing: install it with \`apt-get install -y libpostgresql-jdbc-java\``);
}

/**
 * Runs StreamingJdbc against a target. It is compiled at once, while the targets start (javac
 * takes seconds); `cleanup` removes the classes.
 */
export function jdbcProgram(): { run(target: Target): Promise<WorkloadResult>; cleanup(): void } {
  const classesDir = mkdtempSync(join(tmpdir(), 'apgp-streaming-jdbc-'));
  const compiled = run('javac', ['-cp', JDBC_JAR, '-d', classesDir, join(HERE, 'StreamingJdbc.java')], { env: clientEnv(), timeoutMs: 120_000 }).then((r) => {
    if (r.code !== 0) throw new Error(`javac StreamingJdbc.java failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  });
  compiled.catch(() => undefined); // reported by the first run, not as an unhandled rejection
  return {
    async run(target) {
      await compiled;
      const r = await run('java', ['-cp', `${JDBC_JAR}:${classesDir}`, 'StreamingJdbc', jdbcUrl(target)], { env: clientEnv(), timeoutMs: 120_000 });
      return parsed('StreamingJdbc', r);
    },
    cleanup: () => rmSync(classesDir, { recursive: true, force: true }),
  };
}
