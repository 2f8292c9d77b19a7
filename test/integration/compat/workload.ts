// The workload every client runs, in steps, and what each step must return. A workload program
// (in-process for JS, a script for Python, a Java program) runs every step even when one fails,
// and reports each as { value } or { error }; the tests then assert each step on its own, the
// same assertions for each target, so one defect shows up as the steps it breaks.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { metricValue } from '../warm-connections-helpers.js';
import { TARGET_NAMES, type Target, type TargetName } from './targets.js';

export type StepOutcome = { value: unknown } | { error: { sqlstate: string | null; message: string } };
export type WorkloadResult = Record<string, StepOutcome>;

/**
 * The typed row every client inserts (row 1), normalised to JSON: int8 and numeric as decimal
 * strings, bytea as hex, date/time/timestamp as ISO text, timestamptz as the UTC instant (it is
 * inserted as 14:34:56.789+02), interval as total seconds, json/jsonb parsed, arrays as lists.
 */
export const TYPED_ROW = {
  i2: 12345,
  i4: 2147483647,
  i8: '9007199254740993',
  num: '12345678.9012',
  f4: 1.5,
  f8: 3.141592653589793,
  b: true,
  t: "grüße, 'quoted'",
  vc: 'varchar value',
  by: '0001feff',
  d: '2024-02-29',
  tm: '12:34:56.789',
  ts: '2024-02-29T12:34:56.789',
  tstz: '2024-02-29T12:34:56.789Z',
  iv: 93784,
  u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  j: { a: [1, 2, 3], b: 'x' },
  jb: { a: [1, 2, 3], b: 'x' },
  arr: [1, 2, null, 4],
  tarr: ['a', 'b c', '"q"'],
  n: null,
} as const;

/** Row 2: inserted with every typed column NULL. */
export const NULL_ROW = Object.fromEntries(Object.keys(TYPED_ROW).map((k) => [k, null]));

/**
 * Steps and their values, shared by every client; a client overrides what its API shapes
 * differently (an ORM's insert returns its model, its schema has its own column types).
 *   insert   row 1 with parameters, RETURNING id, i2 * 2 AS doubled, t; then row 2 (NULLs)
 *   types    row 1 read back;  nulls  row 2 read back
 *   update   t of row 1 set with a parameter: rows updated, t read back
 *   delete   row 2 deleted: rows deleted, rows left
 *   commit   a row inserted in a transaction that commits: visible after
 *   rollback a row inserted in a transaction that rolls back: visible inside, gone after
 *   unique   a second row with row 1's vc: SQLSTATE 23505, and the connection still works
 *   unique_fields  the error's schema, table and constraint names as the client exposes them
 */
export function commonExpectations(table: string, constraint: unknown = `${table}_vc_key`): Record<string, unknown> {
  return {
    insert: { first: { id: 1, doubled: 24690, t: TYPED_ROW.t }, second: { id: 2 } },
    types: TYPED_ROW,
    nulls: NULL_ROW,
    update: { count: 1, t: 'updated' },
    delete: { deleted: 1, remaining: 1 },
    commit: { count: 1 },
    rollback: { inside: 1, after: 0 },
    unique: { sqlstate: '23505', after: 1 },
    unique_fields: { schema: 'public', table, constraint },
  };
}

/** What an ORM's insert step returns: the ids of the two rows and the text of the first. */
export const ORM_INSERT = { first: { id: 1, t: TYPED_ROW.t }, second: { id: 2 } };

/** Runs one step; a failure becomes the step's outcome (with its SQLSTATE when it has one). */
export async function step(result: WorkloadResult, name: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    result[name] = { value: await fn() };
  } catch (err) {
    result[name] = { error: errorOutcome(err) };
  }
}

function errorOutcome(err: unknown): { sqlstate: string | null; message: string } {
  const e = err as { code?: unknown; parent?: { code?: unknown }; driverError?: { code?: unknown }; message?: unknown; name?: unknown };
  const code = [e?.code, e?.parent?.code, e?.driverError?.code].find((c) => typeof c === 'string' && /^[0-9A-Z]{5}$/.test(c));
  return { sqlstate: (code as string | undefined) ?? null, message: `${String(e?.name ?? 'Error')}: ${String(e?.message ?? err)}` };
}

export interface CompatSpec {
  client: string;
  /** Throws with an install hint when the client is missing (a missing client is a failure). */
  prerequisite?: () => Promise<void>;
  run(target: Target): Promise<WorkloadResult>;
  expected: Record<string, unknown>;
}

/**
 * One describe per target, one `it` per step; the workload runs once per target, and on the reuse
 * target once more after that (its database emptied in between), on the server sessions the
 * first run left: a driver that names its statements the same way each run (asyncpg, and pgJDBC
 * once a statement is reused) then finds out whether the proxy closed them. `atOnce`: a client's
 * targets run at the same time rather than one after the other (for workloads that mostly wait).
 */
export function compatSuite(spec: CompatSpec, targets: () => Record<TargetName, Target>, opts: { atOnce?: boolean } = {}): void {
  /** The runs of a target: once, and on the reuse target again. */
  const runsOf = (name: TargetName) => (name === 'dsql-reuse' ? [name, `${name} again`] : [name]);
  const results = new Map<string, WorkloadResult>();
  const runTarget = async (name: TargetName) => {
    const target = targets()[name];
    for (const [i, run] of runsOf(name).entries()) {
      if (i > 0) await target.emptyDatabase!();
      const result = await spec.run(target);
      results.set(run, result);
      dumpResult(spec.client, run.replace(' again', '-again'), result);
    }
  };
  describe(spec.client, () => {
    if (opts.atOnce) {
      beforeAll(async () => {
        await spec.prerequisite?.();
        // Every run ends before a failure is reported: none is left running into the next client.
        const settled = await Promise.allSettled(TARGET_NAMES.map(runTarget));
        for (const s of settled) if (s.status === 'rejected') throw s.reason;
      }, 240_000);
    }
    for (const targetName of TARGET_NAMES) {
      describe(`via ${targetName}`, () => {
        if (!opts.atOnce) {
          beforeAll(async () => {
            await spec.prerequisite?.();
            await runTarget(targetName);
          }, 240_000);
        }
        for (const [i, run] of runsOf(targetName).entries()) {
          for (const [stepName, value] of Object.entries(spec.expected)) {
            const check = () => {
              const result = results.get(run) ?? {};
              expect(result[stepName], `step ${stepName} did not run: ${JSON.stringify(result)}`).toBeDefined();
              expect(result[stepName]).toEqual({ value });
            };
            it(i === 0 ? stepName : `${stepName}, run again on the sessions the first run left`, check);
          }
        }
      });
    }
  });
}

/**
 * Last in a file: the reuse target's clients did run on server sessions that clients before them
 * had left (reset in between), not each on a login of its own, so the workloads above passing
 * through it says something about reuse.
 */
export function reuseServedSuite(targets: () => Record<TargetName, Target>): void {
  describe('via dsql-reuse', () => {
    it('served the clients on server sessions that clients before them had left', async () => {
      const reused = await metricValue(targets()['dsql-reuse'].metricsPort!, 'warm_connections_added_total', { source: 'reuse' });
      expect(reused).toBeGreaterThan(0);
      expect(await metricValue(targets()['dsql-reuse'].metricsPort!, 'warm_connections_closed_total', { reason: 'reset_failed' })).toBe(0);
    });
  });
}

/** With COMPAT_DUMP=<folder>, each workload's outcomes are kept there as JSON (to read a failure whole). */
function dumpResult(client: string, target: string, result: WorkloadResult): void {
  const folder = process.env.COMPAT_DUMP;
  if (!folder) return;
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, `${client.replace(/[^A-Za-z0-9]+/g, '_')}-${target}.json`), JSON.stringify(result, null, 2));
}
