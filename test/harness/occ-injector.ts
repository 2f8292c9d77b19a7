// Optimistic-concurrency conflicts on demand, for the DSQL stand-in. A statement whose text
// carries the marker `occ-conflict=N` (usually in a comment, e.g. `/* occ-conflict=2 */ insert
// ...`) fails its first N executions the way DSQL fails a transaction that lost a conflict:
// 40001 with "(OC000)" in the message (`occ-conflict=N,OC001` for a schema change), and no
// effect. The failure is real PostgreSQL behaviour: the stand-in sends PostgreSQL, instead of
// the statement, a DO block that raises that error, so the transaction state afterwards is
// PostgreSQL's own (implicit transaction gone, explicit one aborted). Counts are per exact
// statement text, per stand-in. Only the client-to-PostgreSQL direction passes through here.
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

const MARKER = /occ-conflict=(\d+)(?:,(OC00[01]))?/;
const QUERY = 0x51;
const PARSE = 0x50;
const SYNC = 0x53;

export interface OccInjectionStats {
  /** Conflicts raised so far. */
  injected: number;
  /** Remaining failures per statement text. */
  remaining: Map<string, number>;
}

function queryMessage(sql: string): Buffer {
  const text = Buffer.from(sql + '\0', 'utf8');
  const head = Buffer.alloc(5);
  head[0] = QUERY;
  head.writeUInt32BE(text.length + 4, 1);
  return Buffer.concat([head, text]);
}

function conflictStatement(code: string): Buffer {
  const message = `change conflicts with another transaction, please retry: (${code})`;
  return queryMessage(`DO $occ$BEGIN RAISE EXCEPTION USING ERRCODE = '40001', MESSAGE = '${message}'; END$occ$`);
}

/** Whether this statement text should fail now (and counts the failure), with its OC code. */
function shouldFail(sql: string, stats: OccInjectionStats): string | null {
  const m = MARKER.exec(sql);
  if (!m) return null;
  if (!stats.remaining.has(sql)) stats.remaining.set(sql, Number(m[1]));
  const left = stats.remaining.get(sql)!;
  if (left <= 0) return null;
  stats.remaining.set(sql, left - 1);
  stats.injected += 1;
  return m[2] ?? 'OC000';
}

/** Relays client bytes to PostgreSQL message by message, replacing marked statements. */
export function pipeWithOccInjection(client: Duplex, upstream: Socket, stats: OccInjectionStats): void {
  let buffered: Buffer = Buffer.alloc(0);
  /** Set while an extended batch whose Parse was marked is swallowed up to its Sync. */
  let swallowCode: string | null = null;
  client.on('data', (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    const out: Buffer[] = [];
    let i = 0;
    while (buffered.length - i >= 5) {
      const length = buffered.readUInt32BE(i + 1);
      if (buffered.length - i < 1 + length) break;
      const type = buffered[i];
      const message = buffered.subarray(i, i + 1 + length);
      i += 1 + length;
      if (swallowCode !== null) {
        if (type === SYNC) {
          out.push(conflictStatement(swallowCode));
          swallowCode = null;
        }
        continue;
      }
      if (type === QUERY) {
        const code = shouldFail(message.toString('utf8', 5, message.length - 1), stats);
        out.push(code ? conflictStatement(code) : message);
      } else if (type === PARSE) {
        const nameEnd = message.indexOf(0, 5);
        const sqlEnd = message.indexOf(0, nameEnd + 1);
        const code = shouldFail(message.toString('utf8', nameEnd + 1, sqlEnd), stats);
        if (code) swallowCode = code;
        else out.push(message);
      } else out.push(message);
    }
    buffered = buffered.subarray(i);
    if (out.length > 0 && !upstream.write(Buffer.concat(out))) {
      client.pause();
      upstream.once('drain', () => client.resume());
    }
  });
  // The login dialogue may have paused the stream; a 'data' listener alone would not restart it.
  client.resume();
}
