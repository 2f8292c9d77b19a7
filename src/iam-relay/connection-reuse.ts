// --reuse-connections: the upstream connection of a client session that ended cleanly goes back
// to the warm set of the same key (same user, database and startup parameters) once
// --server-reset-query has cleared what the session left behind, and the prepared statements the
// client made are closed (unless the reset query clears them itself). A reset that
// errors, does not end idle, sends anything unexpected or takes too long closes the connection
// instead, as does a connection that is too old or whose prepared statements were not followed.
import { encodeCloseStatement, encodeQuery, encodeSync } from '../protocol/frontend-encoder.js';
import { MessageChannel } from '../server/message-channel.js';
import type { NativeRelayAddon } from './native/addon.js';
import type { WarmCloseReason, WarmConnection, WarmPool } from './warm-pool.js';

export interface ReuseOptions {
  /** --server-reset-query: sent as one simple Query. */
  resetQuery: string;
  /** How long the reset may take. */
  timeoutMs: number;
  maxMessageBytes: number;
  /** Connections this old are closed rather than kept (the pool's --warm-max-age). */
  maxAgeMs: number;
}

const ERROR_RESPONSE = 0x45; // 'E'
const READY_FOR_QUERY = 0x5a; // 'Z'
const COPY_IN = 0x47; // 'G'
const COPY_OUT = 0x48; // 'H'
const COPY_BOTH = 0x57; // 'W'
const TX_IDLE = 0x49; // 'I'

/** Whether a reset query also drops prepared statements made with Parse (DEALLOCATE ALL is part of DISCARD ALL). */
export function resetClearsPreparedStatements(resetQuery: string): boolean {
  return /\b(discard\s+all|deallocate\s+(prepare\s+)?all)\b/i.test(resetQuery);
}

/** Runs the reset on a connection, closing these prepared statements first: true when it may be reused. */
export type ResetRunner = (conn: WarmConnection, opts: ReuseOptions, closeStatements: readonly string[]) => Promise<boolean>;

/**
 * Resets a session's upstream connection and gives it back to the pool, or closes it. Never
 * throws: whatever goes wrong only means this connection is not reused. The reset runs over the
 * connection's socket (runResetQuery) unless `reset` says otherwise (nativeReset).
 */
export async function recycleConnection(
  pool: WarmPool,
  parameters: Readonly<Record<string, string>>,
  conn: WarmConnection,
  /** The prepared statements the client made (NamedStatements.made); null: not followed. */
  statements: readonly string[] | null,
  opts: ReuseOptions,
  reset: ResetRunner = runResetQuery,
): Promise<void> {
  pool.resetStarted(parameters);
  const reason = await whyNotReusable(pool, conn, statements, opts, reset);
  if (reason) pool.closeConnection(conn, reason);
  pool.returned(parameters, reason ? null : conn, { lent: true, afterReset: true });
}

async function whyNotReusable(
  pool: WarmPool,
  conn: WarmConnection,
  statements: readonly string[] | null,
  opts: ReuseOptions,
  reset: ResetRunner,
): Promise<WarmCloseReason | null> {
  if (pool.isClosed) return 'shutdown';
  if (performance.now() - conn.openedAt >= opts.maxAgeMs) return 'max_age';
  const resetClears = resetClearsPreparedStatements(opts.resetQuery);
  if (statements === null && !resetClears) return 'named_statements';
  const ok = await reset(conn, opts, resetClears ? [] : (statements ?? [])).catch(() => false);
  if (!ok) return 'reset_failed';
  return pool.isClosed ? 'shutdown' : null;
}

/** What a reset sends: Close for each statement and a Sync (when there are any), then the reset Query; and how many ReadyForQuery answer it. */
export function resetMessages(resetQuery: string, closeStatements: readonly string[]): { bytes: Buffer; readyCount: number } {
  const query = encodedResetQuery(resetQuery);
  if (closeStatements.length === 0) return { bytes: query, readyCount: 1 };
  return { bytes: Buffer.concat([...closeStatements.map(encodeCloseStatement), encodeSync(), query]), readyCount: 2 };
}

/** The reset Query message, encoded once: every reuse sends the same one. */
let lastResetQuery: { text: string; encoded: Buffer } | null = null;
function encodedResetQuery(text: string): Buffer {
  if (lastResetQuery?.text !== text) lastResetQuery = { text, encoded: encodeQuery(text) };
  return lastResetQuery.encoded;
}

/** The resets the addon runs now, by link, for each addon: who hears of each outcome. */
const nativeResets = new WeakMap<NativeRelayAddon, Map<number, (ok: boolean) => void>>();

/**
 * The reset run by the addon on a connection a native session gave back (keptUpstream): no
 * socket, no JavaScript between its messages.
 */
export function nativeReset(addon: NativeRelayAddon): ResetRunner {
  let running = nativeResets.get(addon);
  if (!running) {
    const resets = new Map<number, (ok: boolean) => void>();
    addon.onLinkResets((ok, link) => {
      const done = resets.get(link);
      resets.delete(link);
      done?.(ok);
    });
    nativeResets.set(addon, (running = resets));
  }
  const resets = running;
  return (conn, opts, closeStatements) =>
    new Promise((resolve) => {
      const link = conn.upstream.nativeLink!;
      const { bytes, readyCount } = resetMessages(opts.resetQuery, closeStatements);
      // Listening first: a reset whose link is already gone reports before resetLink returns.
      resets.set(link, resolve);
      if (!addon.resetLink(link, bytes, readyCount, opts.timeoutMs)) {
        resets.delete(link);
        resolve(false);
      }
    });
}

/**
 * Closes these prepared statements (Close for each, then Sync), then sends the reset query; true
 * when the server answered everything without error and ended idle, nothing more.
 */
export async function runResetQuery(
  conn: WarmConnection,
  opts: Pick<ReuseOptions, 'resetQuery' | 'timeoutMs' | 'maxMessageBytes'>,
  closeStatements: readonly string[] = [],
): Promise<boolean> {
  const socket = conn.upstream.socket;
  if (socket.destroyed || !socket.writable) return false;
  const channel = new MessageChannel(socket, opts.maxMessageBytes);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), opts.timeoutMs);
  });
  const answered = (async () => {
    const { bytes, readyCount } = resetMessages(opts.resetQuery, closeStatements);
    socket.write(bytes);
    let failed = false;
    let readyToCome = readyCount;
    for (;;) {
      const { type, body } = await channel.readMessage();
      if (type === ERROR_RESPONSE) failed = true;
      else if (type === COPY_IN || type === COPY_OUT || type === COPY_BOTH) return false;
      else if (type === READY_FOR_QUERY) {
        if (failed || body[0] !== TX_IDLE) return false;
        if (--readyToCome === 0) return true;
      }
      // CloseComplete, CommandComplete, ParameterStatus (a reset setting is reported again),
      // NoticeResponse: fine.
    }
  })().catch(() => false);
  try {
    const ok = await Promise.race([answered, timedOut]);
    const readAhead = channel.detach();
    return ok && readAhead.length === 0;
  } finally {
    clearTimeout(timer);
  }
}
