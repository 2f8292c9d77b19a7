// A bare protocol connection that keeps DataRow values as bytes (pg-protocol's Parser turns
// them into strings), for tests that compare binary values of PostgreSQL and the proxy.
import net from 'node:net';
import { serialize } from 'pg-protocol';

/** What one execution returned: the first column's value (hex for binary), or the error's SQLSTATE. */
export type Outcome = { value: string | null } | { error: string; message: string };

/** What a simple query answered: per statement its rows (text) and tag, or the error. */
export type QueryAnswer = { rows: (string | null)[][]; tag: string }[] | { error: string; message: string };

interface Frame {
  type: number;
  body: Buffer;
}

function errorOf(f: Frame): { error: string; message: string } {
  const fields = new Map<string, string>();
  for (let at = 0; at < f.body.length && f.body[at] !== 0; ) {
    const end = f.body.indexOf(0, at + 1);
    fields.set(String.fromCharCode(f.body[at]), f.body.subarray(at + 1, end).toString('utf8'));
    at = end + 1;
  }
  return { error: fields.get('C') ?? '', message: fields.get('M') ?? '' };
}

function rowOf(f: Frame): (Buffer | null)[] {
  const values: (Buffer | null)[] = [];
  let at = 2;
  for (let i = f.body.readInt16BE(0); i > 0; i--) {
    const len = f.body.readInt32BE(at);
    at += 4;
    values.push(len < 0 ? null : f.body.subarray(at, at + len));
    if (len > 0) at += len;
  }
  return values;
}

export class WireClient {
  private buffered = Buffer.alloc(0);
  private frames: Frame[] = [];
  private wake: (() => void) | null = null;
  private closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      while (this.buffered.length >= 5) {
        const len = this.buffered.readInt32BE(1);
        if (this.buffered.length < 1 + len) break;
        this.frames.push({ type: this.buffered[0], body: this.buffered.subarray(5, 1 + len) });
        this.buffered = this.buffered.subarray(1 + len);
      }
      this.wake?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    socket.on('error', () => undefined);
  }

  static async open(host: string, port: number, user: string, database: string): Promise<WireClient> {
    const socket = net.connect({ host, port });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const c = new WireClient(socket);
    socket.write(serialize.startup({ user, database, client_encoding: 'UTF8', TimeZone: 'UTC' }));
    const frames = await c.untilReady();
    const error = frames.find((f) => f.type === 0x45);
    if (error) throw new Error(`startup failed: ${error.body.toString('utf8')}`);
    return c;
  }

  private async untilReady(): Promise<Frame[]> {
    for (let waits = 0; ; waits++) {
      const at = this.frames.findIndex((f) => f.type === 0x5a);
      if (at >= 0) return this.frames.splice(0, at + 1);
      if (this.closed) throw new Error('connection closed');
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Parse (with the parameter's type) / Bind / Execute / Sync of a one-parameter statement. */
  async run(sql: string, paramOid: number, param: Buffer | string | null, binaryResult: boolean): Promise<Outcome> {
    this.socket.write(
      Buffer.concat([
        serialize.parse({ text: sql, types: [paramOid] }),
        serialize.bind({ values: [param], binary: binaryResult }),
        serialize.execute(),
        serialize.sync(),
      ]),
    );
    let outcome: Outcome | undefined;
    for (const f of await this.untilReady()) {
      if (f.type === 0x44 /* DataRow */) {
        const raw = rowOf(f)[0] ?? null;
        outcome = { value: raw === null ? null : binaryResult ? raw.toString('hex') : raw.toString('utf8') };
      } else if (f.type === 0x45 /* ErrorResponse */) {
        outcome = errorOf(f);
      }
    }
    if (!outcome) throw new Error(`no row and no error for ${sql}`);
    return outcome;
  }

  /** Parse/Bind of a named portal, then one Execute with a row limit (the rows' text and whether it suspended). */
  async openPortal(portal: string, sql: string, maxRows: number): Promise<{ rows: (string | null)[][]; suspended: boolean }> {
    this.socket.write(
      Buffer.concat([
        serialize.parse({ text: sql }),
        serialize.bind({ portal }),
        serialize.execute({ portal, rows: maxRows }),
        serialize.sync(),
      ]),
    );
    const frames = await this.untilReady();
    const error = frames.find((f) => f.type === 0x45);
    if (error) throw new Error(`portal ${portal}: ${errorOf(error).message}`);
    return {
      rows: frames.filter((f) => f.type === 0x44).map((f) => rowOf(f).map((v) => v?.toString('utf8') ?? null)),
      suspended: frames.some((f) => f.type === 0x73),
    };
  }

  /** A simple query: per statement its rows and tag, or the error that ended it. */
  async query(sql: string): Promise<QueryAnswer> {
    this.socket.write(serialize.query(sql));
    const answer: { rows: (string | null)[][]; tag: string }[] = [];
    let rows: (string | null)[][] = [];
    for (const f of await this.untilReady()) {
      if (f.type === 0x44) rows.push(rowOf(f).map((v) => v?.toString('utf8') ?? null));
      else if (f.type === 0x43 /* CommandComplete */) {
        answer.push({ rows, tag: f.body.subarray(0, f.body.length - 1).toString('utf8') });
        rows = [];
      } else if (f.type === 0x45) return errorOf(f);
    }
    return answer;
  }

  end(): void {
    this.socket.end(serialize.end());
  }
}

