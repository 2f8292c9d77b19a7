// Settings of an in-process Listener for tests: loopback, trust authentication, no TLS, an
// ephemeral port.
import type { ListenerSettings } from '../../src/server/listener.js';

export function loopbackListenerSettings(name: string, overrides: Partial<ListenerSettings> = {}): ListenerSettings {
  return {
    name,
    host: '127.0.0.1',
    port: 0,
    auth: { method: 'trust' },
    allowUnauthenticatedRemote: false,
    tls: null,
    requireTls: false,
    maxConnections: 10,
    startupTimeoutMs: 5000,
    maxMessageBytes: 1 << 20,
    idleTimeoutMs: 0,
    ...overrides,
  };
}
