// A crowd of clients that leave in every way a real one can: at once, mid-login, mid-TLS
// handshake, in the middle of a long result (closing, resetting, or never reading), with a
// pipeline or a COPY unanswered, with half a message sent, after Terminate. Some stay and work
// normally in between; they must be answered. Bounded in count and time.
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { encodeStartupMessage } from '../../src/protocol/index.js';
import { abandonLogin, sslRequest } from './abandoned-logins.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function frame(type: string, body: Buffer): Buffer {
  const b = Buffer.alloc(5 + body.length);
  b[0] = type.charCodeAt(0);
  b.writeUInt32BE(4 + body.length, 1);
  body.copy(b, 5);
  return b;
}

const cstr = (s: string) => Buffer.from(s + '\0');
const query = (sql: string) => frame('Q', cstr(sql));
const TERMINATE = frame('X', Buffer.alloc(0));

/** Parse/Bind/Execute/Sync of `select $1::int + i`, unnamed. */
function extendedBatch(i: number): Buffer {
  return Buffer.concat([
    frame('P', Buffer.concat([cstr(''), cstr(`select $1::int + ${i}`), Buffer.from([0, 0])])),
    frame('B', Buffer.concat([cstr(''), cstr(''), Buffer.from([0, 0, 0, 1, 0, 0, 0, 1]), Buffer.from('7'), Buffer.from([0, 0])])),
    frame('E', Buffer.concat([cstr(''), Buffer.from([0, 0, 0, 0])])),
    frame('S', Buffer.alloc(0)),
  ]);
}

interface Options {
  parameters: Record<string, string>;
  /** A query with a result of megabytes. */
  longResult: string;
  /** Clients in all; kinds take turns, every second one over TLS (SSLRequest). */
  count: number;
  concurrency?: number;
}

export interface CrowdOutcome {
  /** Clients of each kind that ran. */
  ran: Record<string, number>;
  /** What went wrong on the client side: a staying client not answered, a step that failed. */
  failures: string[];
}

/** Sends the crowd to the proxy listening at `to`. */
export async function runVanishingCrowd(to: { host: string; port: number }, opts: Options): Promise<CrowdOutcome> {
  const startup = encodeStartupMessage(opts.parameters);
  const long = query(opts.longResult);

  const connectRaw = async (): Promise<Socket> => {
    const socket = connectTcp({ host: to.host, port: to.port });
    socket.on('error', () => {});
    await new Promise((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('close', () => reject(new Error('closed before connecting')));
    });
    return socket;
  };
  /** Bytes received until `n` arrived, the socket closed or `ms` passed. */
  const received = (s: Socket, n: number, ms = 5000): Promise<number> =>
    new Promise((resolve) => {
      let got = 0;
      const timer = setTimeout(() => resolve(got), ms);
      s.on('data', (d: Buffer) => {
        got += d.length;
        if (got >= n) {
          clearTimeout(timer);
          resolve(got);
        }
      });
      s.once('close', () => {
        clearTimeout(timer);
        resolve(got);
      });
    });
  const loggedIn = async (tls: boolean): Promise<{ s: Socket; raw: Socket }> => {
    const raw = await connectRaw();
    let s: Socket = raw;
    if (tls) {
      raw.write(sslRequest());
      await new Promise((resolve) => raw.once('data', resolve));
      const t: TLSSocket = connectTls({ socket: raw, rejectUnauthorized: false });
      t.on('error', () => {});
      await new Promise((resolve, reject) => {
        t.once('secureConnect', resolve);
        t.once('close', () => reject(new Error('closed during the TLS handshake')));
      });
      s = t;
    }
    s.write(startup);
    // AuthenticationOk ... ReadyForQuery: a few hundred bytes.
    if ((await received(s, 200)) < 200) throw new Error('no login answer');
    return { s, raw };
  };

  const kinds: Record<string, (tls: boolean) => Promise<void>> = {
    async closeAtOnce() {
      (await connectRaw()).destroy();
    },
    async startupThenClose(tls) {
      await abandonLogin(to.host, to.port, tls ? 'after-tls-startup' : 'after-startup', opts.parameters);
    },
    async midTlsHandshake() {
      await abandonLogin(to.host, to.port, 'mid-tls-handshake', opts.parameters);
    },
    async longResultThenClose(tls) {
      const { s } = await loggedIn(tls);
      s.write(long);
      await received(s, 50_000);
      s.destroy();
    },
    async longResultThenReset(tls) {
      const { s, raw } = await loggedIn(tls);
      s.write(long);
      await received(s, 20_000);
      raw.resetAndDestroy();
      s.destroy();
    },
    async longResultNeverRead(tls) {
      const { s } = await loggedIn(tls);
      s.pause();
      s.write(long);
      await sleep(50);
      s.destroy();
    },
    async halfMessage(tls) {
      const { s } = await loggedIn(tls);
      s.write(long.subarray(0, 9));
      await sleep(5);
      s.destroy();
    },
    async pipelineUnread(tls) {
      const { s } = await loggedIn(tls);
      s.write(Buffer.concat(Array.from({ length: 50 }, (_, i) => extendedBatch(i))));
      s.destroy();
    },
    async terminateMidResult(tls) {
      const { s } = await loggedIn(tls);
      s.write(long);
      await received(s, 30_000);
      s.end(TERMINATE);
      await sleep(20);
      s.destroy();
    },
    async queryThenTerminate(tls) {
      const { s } = await loggedIn(tls);
      s.write(Buffer.concat([query('select 1'), TERMINATE]));
      s.end();
    },
    async copyAbandoned(tls) {
      const { s } = await loggedIn(tls);
      s.write(query('create temp table vanishing_copy(a text); copy vanishing_copy from stdin'));
      await received(s, 40);
      s.write(frame('d', Buffer.from('abc\n')));
      s.destroy();
    },
    async stays(tls) {
      const { s } = await loggedIn(tls);
      s.write(query('select 1'));
      const n = await received(s, 40, 15_000);
      s.end(TERMINATE);
      if (n < 40) throw new Error(`a client that stayed got ${n} bytes for select 1`);
    },
  };

  const names = Object.keys(kinds);
  const ran: Record<string, number> = {};
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < opts.count) {
      const i = next++;
      const name = names[i % names.length];
      const tls = Math.floor(i / names.length) % 2 === 1;
      try {
        await kinds[name](tls);
        ran[name] = (ran[name] ?? 0) + 1;
      } catch (err) {
        failures.push(`${name}${tls ? ' (TLS)' : ''}: ${(err as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 6 }, worker));
  return { ran, failures };
}
