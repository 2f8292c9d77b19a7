// The HTTP connections to the Data API, and what a failed one tells us. Two jobs:
//
// - Idle keep-alive sockets are closed before the endpoint closes them. A server that drops an
//   idle connection while the proxy starts a request on it resets that request, and whether the
//   request was read is then unknowable. The agent therefore never reuses a socket that has
//   been idle for FREE_SOCKET_TIMEOUT_MS: well below the emulator's 5 s (Node's default) and the
//   service's own limit, with a margin for a busy event loop that notices the server's close late.
// - Every request remembers whether any of its bytes reached a connected socket. A failure that
//   came before that (refused connection, DNS failure, connect timeout, a reused socket found
//   dead before the request was written) certainly had no effect, so the call may be sent again;
//   after it, the request may have run.
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';

/** How long an idle keep-alive socket may wait for reuse. */
export const FREE_SOCKET_TIMEOUT_MS = 2_000;

/** Whether a failed request can have reached the service. */
export type Delivery = 'not-sent' | 'maybe-sent';

const DELIVERY = Symbol('aurora-pg-proxy.delivery');

type Tagged = Error & { [DELIVERY]?: Delivery };

/** Watches one request from socket assignment to failure, and tags its error with the delivery. */
function trackDelivery(req: http.ClientRequest): void {
  let socket: Socket | null = null;
  let connected = false;
  let bytesBefore = 0;
  req.once('socket', (s: Socket) => {
    socket = s;
    // The request's own bytes are written after this event; a reused socket's count so far
    // belongs to earlier requests.
    bytesBefore = s.bytesWritten;
    if (req.reusedSocket) connected = true;
    // A TLS request is only written once the handshake is done.
    else s.once(isTls(s) ? 'secureConnect' : 'connect', () => (connected = true));
  });
  req.on('error', (err: Tagged) => {
    if (err[DELIVERY] !== undefined) return;
    // bytesWritten counts bytes still queued in the socket too: that errs towards "maybe".
    const wrote = socket !== null && connected && socket.bytesWritten > bytesBefore;
    err[DELIVERY] = wrote ? 'maybe-sent' : 'not-sent';
  });
}

function isTls(s: Socket): boolean {
  return (s as { encrypted?: boolean }).encrypted === true;
}

interface AgentInternals {
  addRequest(req: http.ClientRequest, options: unknown): void;
  keepSocketAlive(socket: Socket): boolean;
}

/** Applies the proxy's two rules to an agent class (plain HTTP for emulators, HTTPS for AWS). */
function withDeliveryTracking<T extends typeof http.Agent>(Base: T): T {
  const Tracking = class extends (Base as typeof http.Agent) {
    constructor(options: http.AgentOptions) {
      super({ ...options, keepAlive: true });
    }
  };
  const proto = Tracking.prototype as unknown as AgentInternals;
  const base = Base.prototype as unknown as AgentInternals;
  // Node calls addRequest for every request made through the agent, before the caller can add
  // its own listeners, so the tag is on the error before the SDK sees it.
  proto.addRequest = function (this: http.Agent, req, options) {
    trackDelivery(req);
    base.addRequest.call(this, req, options);
  };
  // Called when a response is done and the socket goes back to the pool: Node arms the free
  // socket's idle timer here (also from the server's Keep-Alive hint); cap it.
  proto.keepSocketAlive = function (this: http.Agent, socket) {
    const keep = base.keepSocketAlive.call(this, socket);
    const current = (socket as Socket & { timeout?: number }).timeout ?? 0;
    if (current === 0 || current > FREE_SOCKET_TIMEOUT_MS) socket.setTimeout(FREE_SOCKET_TIMEOUT_MS);
    return keep;
  };
  return Tracking as unknown as T;
}

const TrackingHttpAgent = withDeliveryTracking(http.Agent);
const TrackingHttpsAgent = withDeliveryTracking(https.Agent as unknown as typeof http.Agent);

/** The agents for the SDK's HTTP handler. */
export function dataApiAgents(maxSockets = 50): { httpAgent: http.Agent; httpsAgent: https.Agent } {
  return {
    httpAgent: new TrackingHttpAgent({ maxSockets }),
    httpsAgent: new TrackingHttpsAgent({ maxSockets }) as unknown as https.Agent,
  };
}

/** Network-level error codes: the way to the service failed, not the service. */
const TRANSPORT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED']);

export interface TransportFailure {
  /** The errno-style code, or `TIMEOUT` for the handler's own timeouts. */
  code: string;
  delivery: Delivery;
}

/** What a failed call says about the transport, or null when the service itself answered. */
export function transportFailureOf(raw: unknown): TransportFailure | null {
  if (raw === null || typeof raw !== 'object') return null;
  const e = raw as Tagged & { code?: string; name?: string; $metadata?: { httpStatusCode?: number } };
  if (e.$metadata?.httpStatusCode !== undefined) return null; // an HTTP answer came back
  const tagged = e[DELIVERY];
  if (e.name === 'TimeoutError' && /did not establish a connection/.test(e.message ?? '')) return { code: 'ECONNTIMEOUT', delivery: 'not-sent' };
  const code = typeof e.code === 'string' && TRANSPORT_CODES.has(e.code) ? e.code : e.name === 'TimeoutError' ? 'TIMEOUT' : null;
  if (code === null) return null;
  // Without the tag nothing is known about the request: assume it may have run. Refused
  // connections and failed lookups never carried one.
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { code, delivery: 'not-sent' };
  return { code, delivery: tagged ?? 'maybe-sent' };
}
