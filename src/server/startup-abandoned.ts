// Connections that end before a usable startup packet, which PostgreSQL closes without a reply
// (ProcessStartupPacket: no data at all, an impossible length, all reported as COMMERROR, i.e.
// only in the server's log). node-postgres does this whenever a client is ended at once: it
// writes Terminate ('X', length 4) before its startup packet, and 'X\0\0\0' read as a length is
// far beyond the limit. Neither a FATAL nor an error log line is due for that.
import { InvalidStartupLength } from '../protocol/errors.js';

export type AbandonReason = 'terminate' | 'no-data' | 'invalid-length';

export class StartupAbandoned extends Error {
  constructor(readonly reason: AbandonReason) {
    super(reason === 'terminate' ? 'Terminate before the startup packet' : reason === 'no-data' ? 'connection closed before the startup packet' : 'invalid length of startup packet');
  }

  /** Whether the client simply went away (not a protocol error worth counting as one). */
  get benign(): boolean {
    return this.reason !== 'invalid-length';
  }
}

const TERMINATE = Buffer.from([0x58, 0, 0, 0, 4]);

/** The first bytes a client sent are a Terminate message. */
export function startsWithTerminate(first: Buffer): boolean {
  return first.length >= TERMINATE.length && first.subarray(0, TERMINATE.length).equals(TERMINATE);
}

/** Reads a startup packet, turning an impossible length into a silent close. */
export async function readStartupOrAbandon<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof InvalidStartupLength) throw new StartupAbandoned('invalid-length');
    throw err;
  }
}
