// What the load benchmarks share: rounds of every variant, the order rotated each round so that
// no variant always runs after another, medians, and a line appended to bench/results/.
import { appendFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../test/harness/proxy-process.js';

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** What every result line records about the run: when, where, how loaded the machine was, the times. */
export interface RunFacts<V extends string> {
  date: string;
  cpus: number;
  node: string;
  rounds: number;
  loadavg1mBeforeAfter: [number, number];
  note: string | undefined;
  msMedian: Record<V, number>;
  msAll: Record<V, number[]>;
}

/**
 * Runs the `warmUp` variants once (connections, caches, the proxy's JIT), then every variant
 * `rounds` times, interleaved; returns each one's samples and median.
 */
export async function runInterleaved<V extends string>(
  runners: Record<V, () => Promise<number>>,
  rounds: number,
  warmUp: readonly NoInfer<V>[],
): Promise<{ ms: Record<V, number>; facts: RunFacts<V> }> {
  const loadBefore = loadavg()[0];
  for (const v of warmUp) await runners[v]();
  const variants = Object.keys(runners) as V[];
  const samples = Object.fromEntries(variants.map((v) => [v, [] as number[]])) as Record<V, number[]>;
  for (let round = 0; round < rounds; round++) {
    for (const v of variants.map((_, i, a) => a[(i + round) % a.length])) samples[v].push(await runners[v]());
  }
  const ms = Object.fromEntries(variants.map((v) => [v, Math.round(median(samples[v]))])) as Record<V, number>;
  const facts: RunFacts<V> = {
    date: new Date().toISOString(),
    cpus: cpus().length,
    node: process.version,
    rounds,
    loadavg1mBeforeAfter: [+loadBefore.toFixed(2), +loadavg()[0].toFixed(2)],
    note: process.env.BENCH_NOTE,
    msMedian: ms,
    msAll: samples,
  };
  return { ms, facts };
}

/** Appends one JSON line to bench/results/<file>. */
export function appendResult(file: string, line: object): void {
  const dir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  appendFileSync(join(dir, file), JSON.stringify(line) + '\n');
}
