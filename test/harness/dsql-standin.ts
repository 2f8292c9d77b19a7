// A local stand-in for an Aurora DSQL cluster endpoint, in front of a throwaway PostgreSQL. It
// refuses what DSQL refuses at connect time (no TLS, no or wrong SNI, a token that is not a valid
// SigV4 presigned URL for this endpoint, the wrong action for the user, too many connections),
// then relays bytes to PostgreSQL unchanged (except statements marked to fail with an OCC
// conflict, see occ-injector.ts), so the client sees PostgreSQL's own AuthenticationOk,
// ParameterStatus, BackendKeyData and ReadyForQuery. Tests point the proxy at it with
// `--connect-to 127.0.0.1:PORT` while SNI, certificate checks and tokens use `hostname`.
//
// What the client sees on refusal (FATAL ErrorResponse, then close):
//   no TLS           28000 `no pg_hba.conf entry for host "...", user "...", database "...", no encryption`
//                    (PostgreSQL 16's hostssl-only wording; DSQL's own text is not documented)
//   no SNI           08P01 `unable to accept connection, sni was not received` (DSQL troubleshooting guide)
//   other SNI        08P01 `unable to accept connection, sni mismatch` (not documented; DSQL routes by SNI)
//   bad token        08006 `unable to accept connection, access denied`, reason in HINT, e.g.
//                    `Wrong user to action mapping. user: admin, action: DbConnect` or
//                    `Signature expired: ...`. Message, HINT placement and 08006 are what DSQL was
//                    observed to send (node-postgres and pgx error dumps); see sigv4-verify.ts.
//   connection limit 53300 `Unable to accept connection, too many open connections.` (DSQL quotas page)
// `stats.rejected` counts each refusal by reason (the keys of RejectReason).
import { connect as connectTcp, createServer, type Server, type Socket } from 'node:net';
import { TLSSocket, createSecureContext, type SecureContext } from 'node:tls';
import {
  FrameReader,
  ProtocolViolation,
  decodePasswordMessage,
  decodeStartupPacket,
  encodeAuthenticationCleartextPassword,
  encodeCancelRequest,
  encodeErrorResponse,
  encodeStartupMessage,
  type NoticeFields,
  type StartupPacket,
} from '../../src/protocol/index.js';
import { pipeWithOccInjection, type OccInjectionStats } from './occ-injector.js';
import { verifyDsqlToken, type AwsStaticCredentials, type TokenRejectReason } from './sigv4-verify.js';

export interface DsqlStandInOptions {
  /** Cluster endpoint it serves, e.g. 'abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws'. */
  hostname: string;
  region: string;
  /** The only identity whose tokens verify. */
  credentials: AwsStaticCredentials;
  tls: { certPem: string; keyPem: string };
  /** The throwaway PostgreSQL (trust authentication) behind the stand-in. */
  upstream: { host: string; port: number };
  /** DSQL user -> PostgreSQL user; default { admin: 'postgres' }, other users unchanged. */
  userMap?: Record<string, string>;
  /** Sessions (authenticating or relayed) allowed at once; unlimited when unset. */
  maxConnections?: number;
  /** Clock for token expiry checks. */
  now?: () => Date;
  /**
   * Checks the password instead of DSQL's rules, and says how to refuse it (the RDS stand-in,
   * rds-iam-standin.ts, uses the same server with RDS's token and wording).
   */
  verifyToken?: (token: string, user: string, now: Date) => Promise<TokenCheck>;
}

export type TokenCheck = { ok: true } | { ok: false; reason: string; fields: Omit<NoticeFields, 'severity'> };

export type RejectReason =
  | TokenRejectReason
  | 'no-ssl'
  | 'no-sni'
  | 'sni-mismatch'
  | 'tls-handshake'
  | 'too-many-connections'
  | 'protocol-violation'
  | 'upstream-unreachable';

export interface DsqlStandInStats {
  /** Client connections open right now, in any phase. */
  connections: number;
  /** Connections whose token verified and that were handed to PostgreSQL. */
  accepted: number;
  /** Refused connections by reason. */
  rejected: Record<string, number>;
  /** The last few tokens received, newest last (tests only; a real server would never keep them). */
  tokens: string[];
  /** CancelRequests forwarded to PostgreSQL. */
  cancelsForwarded: number;
  /** Conflicts injected for statements marked `occ-conflict=N` (see occ-injector.ts). */
  occ: OccInjectionStats;
}

export interface DsqlStandIn {
  host: '127.0.0.1';
  port: number;
  stats: DsqlStandInStats;
  /** Simulates the endpoint going down: stops listening and drops every open connection. */
  closeListener(): Promise<void>;
  /** Listens again on the same port. */
  reopen(): Promise<void>;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const KEEP_TOKENS = 5;
/** DSQL's documented maximum message size. */
const MAX_MESSAGE_LENGTH = 10 * 1024 * 1024;
/** A refused or relayed socket that its peer leaves half-open is destroyed after this long. */
const LINGER_MS = 2000;
const ACCESS_DENIED = 'unable to accept connection, access denied';

export async function startDsqlStandIn(opts: DsqlStandInOptions): Promise<DsqlStandIn> {
  const standIn = new StandInServer(opts);
  await standIn.listen(0);
  return standIn.handle();
}

class StandInServer {
  readonly stats: DsqlStandInStats = {
    connections: 0,
    accepted: 0,
    rejected: {},
    tokens: [],
    cancelsForwarded: 0,
    occ: { injected: 0, remaining: new Map() },
  };
  readonly secureContext: SecureContext;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private sessions = 0;
  private port = 0;
  private listening = false;

  constructor(readonly opts: DsqlStandInOptions) {
    this.secureContext = createSecureContext({ cert: opts.tls.certPem, key: opts.tls.keyPem });
    // As PostgreSQL does (TCP_NODELAY): small writes go at once instead of waiting on Nagle's
    // algorithm for the peer's delayed ACK (40 ms on Linux) when two come in a row.
    this.server = createServer({ noDelay: true }, (socket) => {
      this.stats.connections += 1;
      socket.once('close', () => (this.stats.connections -= 1));
      new ClientConnection(this, socket).start();
    });
    this.server.on('error', () => {});
  }

  handle(): DsqlStandIn {
    return {
      host: HOST,
      port: this.port,
      stats: this.stats,
      closeListener: () => this.closeListener(),
      reopen: () => this.listen(this.port),
      stop: () => this.closeListener(),
    };
  }

  listen(port: number): Promise<void> {
    if (this.listening) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen(port, HOST, () => {
        this.server.off('error', onError);
        const address = this.server.address();
        if (typeof address === 'object' && address) this.port = address.port;
        this.listening = true;
        resolve();
      });
    });
  }

  async closeListener(): Promise<void> {
    const closed = this.listening
      ? new Promise<void>((resolve) => this.server.close(() => resolve()))
      : Promise.resolve();
    this.listening = false;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
  }

  /** Every socket the stand-in holds (client or upstream), so closeListener can drop them all. */
  track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
  }

  reject(reason: RejectReason): void {
    this.stats.rejected[reason] = (this.stats.rejected[reason] ?? 0) + 1;
  }

  /** Counts a session against maxConnections; false when the limit is reached. */
  openSession(socket: Socket): boolean {
    const max = this.opts.maxConnections;
    if (max !== undefined && this.sessions >= max) return false;
    this.sessions += 1;
    socket.once('close', () => (this.sessions -= 1));
    return true;
  }

  rememberToken(token: string): void {
    this.stats.tokens.push(token);
    if (this.stats.tokens.length > KEEP_TOKENS) this.stats.tokens.splice(0, this.stats.tokens.length - KEEP_TOKENS);
  }

  upstreamUser(user: string): string {
    const map = this.opts.userMap ?? { admin: 'postgres' };
    return Object.hasOwn(map, user) ? map[user] : user;
  }
}

type Phase = 'plain' | 'tls-handshake' | 'tls-startup' | 'password' | 'verifying' | 'done';
type StartupMessage = Extract<StartupPacket, { kind: 'StartupMessage' }>;

/** One client connection, from its first byte until it is relayed or refused. */
class ClientConnection {
  private stream: Socket;
  private reader = new FrameReader({ maxMessageLength: MAX_MESSAGE_LENGTH });
  private phase: Phase = 'plain';
  private startup: StartupMessage | null = null;
  private readonly onData = (chunk: Buffer) => {
    this.reader.push(chunk);
    try {
      this.step();
    } catch (err) {
      this.protocolError(err);
    }
  };

  constructor(
    private readonly server: StandInServer,
    private readonly raw: Socket,
  ) {
    this.stream = raw;
  }

  start(): void {
    this.server.track(this.raw);
    this.raw.on('data', this.onData);
  }

  private step(): void {
    for (;;) {
      if (this.phase === 'plain' || this.phase === 'tls-startup') {
        const body = this.reader.nextStartupPacket();
        if (!body) return;
        this.onStartupPacket(decodeStartupPacket(body));
      } else if (this.phase === 'password') {
        const frame = this.reader.nextMessage();
        if (!frame) return;
        this.onPasswordFrame(frame.type, frame.body);
      } else {
        return; // handshaking, verifying, relayed or finished: bytes wait in the reader
      }
    }
  }

  private onStartupPacket(packet: StartupPacket): void {
    switch (packet.kind) {
      case 'SSLRequest':
        if (this.phase !== 'plain') throw new ProtocolViolation('SSLRequest received after TLS was established');
        this.upgradeToTls();
        return;
      case 'GSSENCRequest':
        if (this.phase !== 'plain') throw new ProtocolViolation('GSSENCRequest received after TLS was established');
        this.raw.write('N');
        return;
      case 'CancelRequest':
        this.forwardCancel(packet.processId, packet.secretKey);
        return;
      case 'StartupMessage':
        if (this.phase === 'plain') this.refuseWithoutTls(packet);
        else this.requestPassword(packet);
        return;
    }
  }

  private refuseWithoutTls(packet: StartupMessage): void {
    const user = packet.parameters.user;
    const database = packet.parameters.database ?? user;
    const host = this.raw.remoteAddress ?? HOST;
    this.refuse('no-ssl', {
      code: '28000',
      message: `no pg_hba.conf entry for host "${host}", user "${user}", database "${database}", no encryption`,
    });
  }

  private upgradeToTls(): void {
    // Bytes sent before our 'S' would be read as if they had been encrypted (CVE-2021-23214).
    if (this.reader.bufferedBytes > 0) throw new ProtocolViolation('received unencrypted data after SSL request');
    this.phase = 'tls-handshake';
    this.raw.pause();
    this.raw.off('data', this.onData);
    this.raw.write('S');
    const tls = new TLSSocket(this.raw, { isServer: true, secureContext: this.server.secureContext });
    this.server.track(tls);
    tls.once('error', () => {
      if (this.phase === 'tls-handshake') this.server.reject('tls-handshake');
      this.phase = 'done';
      this.raw.destroy();
    });
    tls.once('secure', () => {
      this.stream = tls;
      this.reader = new FrameReader({ maxMessageLength: MAX_MESSAGE_LENGTH });
      const sni = tls.servername;
      if (!sni) {
        this.refuse('no-sni', { code: '08P01', message: 'unable to accept connection, sni was not received' });
        return;
      }
      if (sni.toLowerCase() !== this.server.opts.hostname.toLowerCase()) {
        this.refuse('sni-mismatch', { code: '08P01', message: 'unable to accept connection, sni mismatch' });
        return;
      }
      this.phase = 'tls-startup';
      tls.on('data', this.onData);
    });
  }

  private requestPassword(packet: StartupMessage): void {
    if (!this.server.openSession(this.stream)) {
      this.refuse('too-many-connections', {
        code: '53300',
        message: 'Unable to accept connection, too many open connections.',
      });
      return;
    }
    this.startup = packet;
    this.phase = 'password';
    this.stream.write(encodeAuthenticationCleartextPassword());
  }

  private onPasswordFrame(type: number, body: Buffer): void {
    if (type !== 'p'.charCodeAt(0)) {
      throw new ProtocolViolation(`expected password response, got message type ${type}`);
    }
    const token = decodePasswordMessage(body);
    this.server.rememberToken(token);
    this.phase = 'verifying';
    this.stream.pause();
    const { hostname, region, credentials, now, verifyToken } = this.server.opts;
    const user = this.startup!.parameters.user;
    const at = now ? now() : new Date();
    const check: Promise<TokenCheck> = verifyToken
      ? verifyToken(token, user, at)
      : verifyDsqlToken(token, { hostname, region, credentials, user, now: at }).then((verdict) =>
          verdict.ok ? { ok: true } : { ok: false, reason: verdict.reason, fields: { code: '08006', message: ACCESS_DENIED, hint: verdict.hint } },
        );
    check
      .then((verdict) => {
        if (this.phase !== 'verifying') return; // dropped meanwhile
        if (!verdict.ok) {
          this.refuse(verdict.reason as RejectReason, verdict.fields);
          return;
        }
        this.server.stats.accepted += 1;
        this.relayToPostgres();
      })
      .catch((err) => this.protocolError(err));
  }

  private relayToPostgres(): void {
    const client = this.stream;
    const params = { ...this.startup!.parameters };
    params.user = this.server.upstreamUser(params.user);
    const upstream = connectTcp({ ...this.server.opts.upstream, noDelay: true });
    this.server.track(upstream);
    upstream.once('error', (err) => {
      if (this.phase !== 'verifying') return; // failed after the relay began: 'close' handles it
      this.refuse('upstream-unreachable', {
        code: '08006',
        message: `unable to accept connection, the stand-in could not reach PostgreSQL: ${err.message}`,
      });
    });
    upstream.once('connect', () => {
      if (this.phase !== 'verifying') {
        upstream.destroy();
        return;
      }
      this.phase = 'done';
      upstream.write(encodeStartupMessage(params));
      const early = this.reader.takeBuffered();
      if (early.length > 0) upstream.write(early);
      client.off('data', this.onData);
      pipeWithOccInjection(client, upstream, this.server.stats.occ);
      upstream.pipe(client);
      client.once('close', () => closeGently(upstream));
      upstream.once('close', () => closeGently(client));
    });
  }

  /** Passes the key on untouched: the client got PostgreSQL's own BackendKeyData through the relay. */
  private forwardCancel(processId: number, secretKey: number): void {
    this.phase = 'done';
    const upstream = connectTcp({ ...this.server.opts.upstream, noDelay: true });
    this.server.track(upstream);
    upstream.once('connect', () => {
      this.server.stats.cancelsForwarded += 1;
      upstream.end(encodeCancelRequest(processId, secretKey));
    });
    upstream.once('close', () => closeGently(this.stream));
  }

  private protocolError(err: unknown): void {
    if (this.phase === 'done') return;
    const violation = err instanceof ProtocolViolation;
    this.refuse('protocol-violation', {
      code: violation ? err.sqlstate : '08P01',
      message: err instanceof Error ? err.message : String(err),
    });
  }

  private refuse(reason: RejectReason, fields: Omit<NoticeFields, 'severity'>): void {
    this.phase = 'done';
    this.server.reject(reason);
    this.stream.off('data', this.onData);
    this.stream.resume(); // drain and discard whatever else the client sends
    this.stream.end(encodeErrorResponse({ severity: 'FATAL', ...fields }));
    closeGently(this.stream);
  }
}

/** end() lets queued bytes (a final ErrorResponse) reach the peer; destroy() follows if it lingers. */
function closeGently(socket: Socket): void {
  if (!socket.writableEnded) socket.end();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}
