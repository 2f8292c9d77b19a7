// CPU per call of the proxy's per-statement work that does not touch the network, measured in
// this process (process.cpuUsage), so that a shared machine distorts it far less than the
// end-to-end figures of data-api-overhead.ts:
//   - signing one ExecuteStatement request: the AWS SDK client's own SigV4 signer against the
//     lean signer (src/dataapi/client/lean-signer.ts);
//   - parsing a statement's text: parseStatements against a hit in the per-process cache
//     (src/dataapi/sql/statement-cache.ts), for `select 1`, an ORM-style SELECT and a 40-column INSERT.
// The compiled code in dist/ is measured (what the proxy runs). Rounds interleave the variants;
// the summary gives the median over rounds. The load average is recorded with the result,
// appended to bench/results/hot-path.jsonl.
//   npm run bench:hotpath            (builds first; well under a minute)
//   BENCH_ROUNDS (default 7), BENCH_NOTE
import { appendFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { REPO_ROOT } from '../test/harness/proxy-process.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const dist = (file: string) => pathToFileURL(join(REPO_ROOT, 'dist', file)).href;
const { LeanSigner } = (await import(dist('dataapi/client/lean-signer.js'))) as typeof import('../src/dataapi/client/lean-signer.js');
const { parseStatements } = (await import(dist('dataapi/sql/parsed-statement.js'))) as typeof import('../src/dataapi/sql/parsed-statement.js');
const { ParsedStatementCache } = (await import(dist('dataapi/sql/statement-cache.js'))) as typeof import('../src/dataapi/sql/statement-cache.js');

const load = () => loadavg().map((x) => +x.toFixed(2));
const loadAtStart = load();

const sdk = new RDSDataClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:8080', credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench-secret', sessionToken: 'bench-token' } });
const sdkSigner = await sdk.config.signer();
const credentials = await sdk.config.credentials();
const lean = new LeanSigner({ uriEscapePath: true, applyChecksum: true });
const body = JSON.stringify({
  resourceArn: 'arn:aws:rds:us-east-1:123456789012:cluster:bench',
  secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench',
  sql: 'select 1',
  includeResultMetadata: true,
  resultSetOptions: { decimalReturnType: 'STRING', longReturnType: 'STRING' },
});
const headers = (): Record<string, string> => ({
  'content-type': 'application/json',
  'content-length': String(Buffer.byteLength(body)),
  'x-amz-user-agent': 'aws-sdk-js/3',
  'user-agent': 'aws-sdk-js/3 ua/2.1 os/linux lang/js md/nodejs#20 api/rds-data#3',
  host: '127.0.0.1:8080',
  'amz-sdk-invocation-id': globalThis.crypto.randomUUID(),
  'amz-sdk-request': 'attempt=1; max=1',
});
const signing = { signingRegion: 'us-east-1', signingService: 'rds-data' };

const ORM_SELECT = 'SELECT "users"."id", "users"."name", "users"."email" FROM "users" WHERE "users"."id" = $1 AND "users"."deleted_at" IS NULL LIMIT $2';
const COLUMNS = Array.from({ length: 40 }, (_, i) => `"column_number_${i}"`);
const LONG_INSERT = `INSERT INTO "public"."wide_table" (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING "id", "created_at" -- an ORM's insert, ${COLUMNS.length} columns`;
const cache = new ParsedStatementCache();

/** µs of CPU per call of `f`, over `n` calls. */
async function cpuPerCall(n: number, f: () => unknown): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const r = f();
    if (r instanceof Promise) await r;
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

const variants: Record<string, [number, () => unknown]> = {
  'sign: SDK signer': [4000, () => sdkSigner.sign({ method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: 8080, path: '/Execute', query: {}, headers: headers(), body } as never, { ...signing, signingDate: new Date() })],
  'sign: lean signer': [4000, () => lean.sign({ method: 'POST', path: '/Execute', headers: headers(), body }, credentials, new Date(), 'us-east-1', 'rds-data')],
  'parse select 1: parseStatements': [20000, () => parseStatements('select 1')],
  'parse select 1: cache hit': [20000, () => cache.parse('select 1')],
  'parse ORM SELECT: parseStatements': [5000, () => parseStatements(ORM_SELECT)],
  'parse ORM SELECT: cache hit': [20000, () => cache.parse(ORM_SELECT)],
  [`parse ${LONG_INSERT.length}-char INSERT: parseStatements`]: [1000, () => parseStatements(LONG_INSERT)],
  [`parse ${LONG_INSERT.length}-char INSERT: cache hit`]: [20000, () => cache.parse(LONG_INSERT)],
};

const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (const [, [n, f]] of Object.entries(variants)) await cpuPerCall(Math.ceil(n / 4), f); // warm up
for (let round = 0; round < ROUNDS; round++) {
  const names = Object.keys(variants);
  const rotated = [...names.slice(round % names.length), ...names.slice(0, round % names.length)];
  for (const name of rotated) {
    const [n, f] = variants[name]!;
    samples[name]!.push(await cpuPerCall(n, f));
  }
}
sdk.destroy();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const usPerCall = Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, +median(xs).toFixed(2)]));
const loadAtEnd = load();
console.log(`\nCPU per call, µs (median of ${ROUNDS} interleaved rounds; load average ${loadAtStart.join(', ')} at start, ${loadAtEnd.join(', ')} at end; ${cpus().length} CPUs)\n`);
console.log('| work | µs per call |');
console.log('|---|---|');
for (const [k, v] of Object.entries(usPerCall)) console.log(`| ${k} | ${v} |`);

mkdirSync(join(REPO_ROOT, 'bench', 'results'), { recursive: true });
appendFileSync(
  join(REPO_ROOT, 'bench', 'results', 'hot-path.jsonl'),
  JSON.stringify({ date: new Date().toISOString(), cpus: cpus().length, node: process.version, loadAverage: { start: loadAtStart, end: loadAtEnd }, rounds: ROUNDS, usPerCall, note: process.env.BENCH_NOTE }) + '\n',
);
