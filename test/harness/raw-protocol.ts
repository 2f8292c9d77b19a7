// A bare PostgreSQL protocol connection (pg-protocol's serializer and parser over a socket) for
// tests that send exact message sequences, such as Parse and Describe without Bind, which no
// driver's public API sends on its own, and compare the answers of the proxy and PostgreSQL.
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { serialize } from 'pg-protocol';
import { Parser } from 'pg-protocol/dist/parser.js';
import type { BackendMessage } from 'pg-protocol/dist/messages.js';
import type pg from 'pg';

/** What a Describe of a statement answered, in a form both sides can be compared in. */
export interface Described {
  params: number[] | null;
  fields: { name: string; dataTypeID: number; dataTypeSize: number; dataTypeModifier: number }[] | null;
  error: { code: string; message: string } | null;
}

export class RawConnection {
  private readonly messages: BackendMessage[] = [];
  private wake: (() => void) | null = null;
  private closed = false;
  /** The BackendKeyData of the login: what a CancelRequest for this session carries. */
  backendKey: { processId: number; secretKey: number } | null = null;

  private constructor(private readonly socket: Socket) {
    const parser = new Parser();
    socket.on('data', (chunk: Buffer) => {
      parser.parse(chunk, (m: BackendMessage) => this.messages.push(m));
      this.wake?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    socket.on('error', () => undefined);
  }

  static async open(
    host: string,
    port: number,
    parameters: Record<string, string> = { user: 'postgres', database: 'postgres' },
    opts: { tls?: boolean } = {},
  ): Promise<RawConnection> {
    const tcp = connectTcp({ host, port });
    await new Promise<void>((resolve, reject) => tcp.once('connect', resolve).once('error', reject));
    const socket = opts.tls ? await startTls(tcp) : tcp;
    const c = new RawConnection(socket);
    socket.write(serialize.startup(parameters));
    const login = await c.untilReady();
    const key = login.find((m) => m.name === 'backendKeyData') as unknown as { processID: number; secretKey: number } | undefined;
    if (key) c.backendKey = { processId: key.processID, secretKey: key.secretKey };
    return c;
  }

  /** A simple Query's rows (text values) once its ReadyForQuery came. */
  async query(text: string): Promise<(string | null)[][]> {
    this.send(serialize.query(text));
    const answer = await this.untilReady();
    const error = answer.find((m) => m.name === 'error') as unknown as { message: string } | undefined;
    if (error) throw new Error(error.message);
    return answer.filter((m) => m.name === 'dataRow').map((m) => (m as unknown as { fields: (string | null)[] }).fields);
  }

  /** Gone without a word (no Terminate), as a killed client goes. */
  destroy(): void {
    this.socket.destroy();
  }

  /** Resolves once the other end closed the connection. */
  async closedByPeer(): Promise<void> {
    while (!this.closed) await new Promise<void>((resolve) => (this.wake = resolve));
  }

  send(...messages: Buffer[]): void {
    this.socket.write(Buffer.concat(messages));
  }

  /** The messages up to and including the next ReadyForQuery. */
  async untilReady(): Promise<BackendMessage[]> {
    for (;;) {
      const at = this.messages.findIndex((m) => m.name === 'readyForQuery');
      if (at >= 0) return this.messages.splice(0, at + 1);
      if (this.closed) {
        // Say why, when the server said: a refused login's ErrorResponse is the whole story.
        const error = this.messages.find((m) => m.name === 'error') as unknown as { code: string; message: string } | undefined;
        throw new Error(error ? `connection closed after ${error.code}: ${error.message}` : 'connection closed');
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Parse, Describe S, Sync (then Close): what a statement Describe before Bind answers. */
  async describe(text: string): Promise<Described> {
    this.send(serialize.parse({ name: 'probe', text }), serialize.describe({ type: 'S', name: 'probe' }), serialize.sync());
    const answer = await this.untilReady();
    this.send(serialize.close({ type: 'S', name: 'probe' }), serialize.sync());
    await this.untilReady();
    const result: Described = { params: null, fields: null, error: null };
    for (const m of answer) {
      if (m.name === 'parameterDescription') result.params = (m as unknown as { dataTypeIDs: number[] }).dataTypeIDs;
      if (m.name === 'rowDescription') {
        result.fields = (m as unknown as { fields: pg.FieldDef[] }).fields.map((f) => ({
          name: f.name,
          dataTypeID: f.dataTypeID,
          dataTypeSize: f.dataTypeSize,
          dataTypeModifier: f.dataTypeModifier,
        }));
      }
      if (m.name === 'error') {
        const e = m as unknown as { code: string; message: string };
        result.error = { code: e.code, message: e.message };
      }
    }
    return result;
  }

  end(): void {
    this.socket.end(serialize.end());
  }
}

/**
 * SSLRequest on a connected socket, then TLS over it once the server answers 'S' (its certificate
 * not checked: tests' proxies make their own). Rejects when the server answers anything else.
 */
export async function startTls(tcp: Socket): Promise<TLSSocket> {
  const answer = await new Promise<Buffer>((resolve, reject) => {
    tcp.once('data', resolve).once('error', reject).once('close', () => reject(new Error('closed before answering SSLRequest')));
    tcp.write(serialize.requestSsl());
  });
  tcp.removeAllListeners('close');
  tcp.removeAllListeners('error');
  if (answer.toString('latin1') !== 'S') throw new Error(`SSLRequest answered ${JSON.stringify(answer.toString('latin1'))}`);
  tcp.pause();
  const secure = connectTls({ socket: tcp, rejectUnauthorized: false });
  await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
  return secure;
}
