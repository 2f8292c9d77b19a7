// How the listener hands the client its login answer: AuthenticationOk goes out in the same write
// as what the backend sends at once (one wake-up of the client for the whole answer, as
// PostgreSQL sends it), and alone when the backend must wait first; the 'connection opened' line
// is still logged.
import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import { Writable } from 'node:stream';
import { Listener } from '../../../src/server/listener.js';
import type { Backend, ClientSession } from '../../../src/server/types.js';
import { createLogger } from '../../../src/util/logger.js';
import { encodeAuthenticationOk, encodeReadyForQuery } from '../../../src/protocol/backend-encoder.js';
import { loopbackListenerSettings } from '../../harness/listener-settings.js';

function startupMessage(): Buffer {
  const body = Buffer.from('user\0alice\0database\0db\0\0');
  const b = Buffer.alloc(8 + body.length);
  b.writeInt32BE(8 + body.length, 0);
  b.writeInt32BE(196608, 4);
  body.copy(b, 8);
  return b;
}

/** Whether AuthenticationOk was still held back (the stream corked) when the backend wrote. */
const heldBack: boolean[] = [];

/** A backend that answers with ReadyForQuery, after `delayMs` (0: in the same turn), and waits for the client to leave. */
function answeringBackend(delayMs: number): Backend {
  return {
    mode: 'test',
    async serve(session: ClientSession) {
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      heldBack.push(session.stream.writableCorked > 0);
      session.stream.write(encodeReadyForQuery('I'));
      await new Promise<void>((resolve) => {
        session.stream.once('end', resolve);
        session.stream.once('close', resolve);
        session.stream.resume();
      });
    },
  };
}

let listener: Listener | null = null;
afterEach(async () => {
  heldBack.length = 0;
  await listener?.close(0);
  listener = null;
});

async function firstReads(backend: Backend, logLines: string[]): Promise<Buffer[]> {
  const destination = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  listener = new Listener(
    loopbackListenerSettings('login-answer', { maxConnections: 5 }),
    backend,
    createLogger({ level: 'info', format: 'json', destination }),
  );
  const { port } = await listener.listen();
  const socket = net.connect(port, '127.0.0.1');
  const reads: Buffer[] = [];
  const expected = encodeAuthenticationOk().length + encodeReadyForQuery('I').length;
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('connect', () => socket.write(startupMessage()));
    socket.on('data', (d) => {
      reads.push(d);
      if (Buffer.concat(reads).length >= expected) resolve();
    });
  });
  socket.end();
  await new Promise((r) => socket.once('close', r));
  await listener.settled(2000);
  return reads;
}

describe('the login answer', () => {
  it('carries AuthenticationOk in one write with what the backend answers at once', async () => {
    const log: string[] = [];
    const reads = await firstReads(answeringBackend(0), log);
    // Both went out in one write: the stream was still corked when the backend wrote.
    expect(heldBack).toEqual([true]);
    expect(reads).toHaveLength(1);
    expect(reads[0]).toEqual(Buffer.concat([encodeAuthenticationOk(), encodeReadyForQuery('I')]));
    expect(log.some((l) => l.includes('"msg":"connection opened"') && l.includes('"user":"alice"'))).toBe(true);
  });

  it('sends AuthenticationOk without waiting for a backend that must log in first', async () => {
    const log: string[] = [];
    const reads = await firstReads(answeringBackend(300), log);
    expect(heldBack).toEqual([false]);
    expect(reads[0]).toEqual(encodeAuthenticationOk());
    expect(Buffer.concat(reads)).toEqual(Buffer.concat([encodeAuthenticationOk(), encodeReadyForQuery('I')]));
    const opened = log.findIndex((l) => l.includes('"msg":"connection opened"'));
    const closed = log.findIndex((l) => l.includes('"msg":"connection closed"'));
    expect(opened).toBeGreaterThanOrEqual(0);
    expect(closed).toBeGreaterThan(opened);
  });
});
