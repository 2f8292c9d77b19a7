// Reads a socket into one buffer that is lent to the relay for each chunk and reused by the next
// read, instead of a fresh buffer per read. A default read allocates a 64 KiB backing store
// outside the JavaScript heap, shrinks it, wraps it in an ArrayBuffer and leaves it to the
// garbage collector, then passes the chunk through the Readable machinery to a 'data' event;
// profiles of the relay under pgbench put that allocation and freeing among the largest items of
// a round trip. Node offers exactly this for sockets it creates itself (the `onread` option of
// net.connect and tls.connect); the relay's sockets are an accepted socket and TLS started over
// a socket that first spoke PostgreSQL's SSLRequest, for which Node has no public switch. So
// the same internal fields `onread` sets are set here, found by their symbol names, and when
// any is missing (another Node release) the relay keeps to 'data' events.
//
// A lent chunk is only valid during the callback. Whoever keeps it longer must say so: keep()
// copies it; a lentWriter() passes it to another socket and, when that socket queued it by
// reference rather than writing it at once, hands the buffer over and lends a new one.
import { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';

// A plain socket reads as much as the buffer holds, and 64 KiB is what Node reads by default. TLS
// hands over decrypted data in pieces of at most one record (16 KiB), so a larger buffer would
// only sit idle: each relayed session keeps its two buffers for its whole life.
const PLAIN_READ_BYTES = 64 * 1024;
const TLS_READ_BYTES = 16 * 1024;

interface UserBufferHandle {
  useUserBuffer(buffer: Uint8Array): void;
}

type OnreadFields = Record<symbol, unknown>;

export interface LentReader {
  /** A copy of a lent chunk, for keeping beyond the callback. */
  keep(chunk: Buffer): Buffer;
  /** Someone holds the current buffer by reference: the next read goes to a new one. */
  giveAway(): void;
}

function symbolNamed(object: object, name: string): symbol | undefined {
  return Object.getOwnPropertySymbols(object).find((s) => s.description === name);
}

/**
 * Starts lending chunks of `stream` to `onChunk` in place of its 'data' events, or returns null
 * when that is not possible (not a socket, a Node without these fields, bytes already buffered
 * by the Readable side); the caller then listens to 'data' as usual. The stream keeps its
 * pause(), resume(), 'end', 'close' and 'error' behaviour. Install it while the stream is paused.
 */
export function readLent(stream: Duplex, onChunk: (chunk: Buffer) => void): LentReader | null {
  if (!(stream instanceof Socket) || stream.readableLength > 0 || stream.destroyed) return null;
  const handle = (stream as unknown as { _handle?: Partial<UserBufferHandle> | null })._handle;
  const kBuffer = symbolNamed(stream, 'kBuffer');
  const kBufferCb = symbolNamed(stream, 'kBufferCb');
  const kBufferGen = symbolNamed(stream, 'kBufferGen');
  if (!handle || typeof handle.useUserBuffer !== 'function' || !kBuffer || !kBufferCb || !kBufferGen) return null;
  const fields = stream as unknown as OnreadFields;
  if (fields[kBuffer]) return null; // already reading into a buffer of its own

  let givenAway = false;
  const size = stream instanceof TLSSocket ? TLS_READ_BYTES : PLAIN_READ_BYTES;
  const buffer = Buffer.allocUnsafeSlow(size);
  fields[kBuffer] = buffer;
  fields[kBufferCb] = (bytes: number, into: Buffer) => {
    onChunk(into.subarray(0, bytes));
  };
  // Asked after every read: undefined keeps the buffer, a new one replaces it for the next read.
  fields[kBufferGen] = () => {
    if (!givenAway) return undefined;
    givenAway = false;
    return Buffer.allocUnsafeSlow(size);
  };
  handle.useUserBuffer(buffer);
  return {
    keep: (chunk) => Buffer.from(chunk),
    giveAway: () => {
      givenAway = true;
    },
  };
}

/** Writes a chunk lent by `reader` (null: the chunk is the caller's own); returns what write() returned. */
export type LentWrite = (chunk: Buffer, reader: LentReader | null) => boolean;

/**
 * How lent chunks are written to `destination`, decided once per socket rather than per chunk.
 * A socket with writes already queued would queue a chunk by reference too, so it gets a copy.
 * Otherwise the chunk goes straight to the socket: TLS encrypts it before write() returns (or
 * copies what it cannot take), and a plain socket writes it to the kernel at once unless the
 * kernel's buffer is full, in which case it holds the chunk and the reader's buffer is handed
 * over to it. Any other stream gets a copy.
 */
export function lentWriter(destination: Duplex): LentWrite {
  if (!(destination instanceof Socket)) return (chunk, reader) => destination.write(reader === null ? chunk : reader.keep(chunk));
  const encrypts = destination instanceof TLSSocket;
  return (chunk, reader) => {
    if (reader === null) return destination.write(chunk);
    if (destination.writableLength > 0 || destination.writableCorked > 0) return destination.write(reader.keep(chunk));
    const ok = destination.write(chunk);
    if (!encrypts && destination.writableLength > 0) reader.giveAway();
    return ok;
  };
}
