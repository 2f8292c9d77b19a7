// Builds the backend a listener's mode calls for, through the mode's descriptor.
import type { ListenerConfig } from '../config/types.js';
import type { Backend } from '../server/types.js';
import type { ModeDescriptor } from '../modes/descriptor.js';
import { findMode, type AllModeObservers } from '../modes/registry.js';
import type { TokenExpiryReader } from '../metrics/proxy-metrics.js';

/** Everything a backend may report; the metrics object of the listener implements all of it. */
export type BackendObserver = AllModeObservers;

function descriptorOf(cfg: ListenerConfig): ModeDescriptor<ListenerConfig['mode'], object> {
  const mode = findMode(cfg.mode);
  // The configuration was validated by this same registry; an unknown mode here is a bug.
  if (!mode) throw new Error(`no registered mode "${cfg.mode}"`);
  return mode as unknown as ModeDescriptor<ListenerConfig['mode'], object>;
}

export async function createBackend(cfg: ListenerConfig, observer: BackendObserver = {} as BackendObserver): Promise<Backend> {
  return descriptorOf(cfg).createBackend(cfg as never, observer);
}

/** The reader of the backend's token expiry, for modes that cache IAM tokens. */
export function tokenExpiryOf(cfg: ListenerConfig, backend: Backend): TokenExpiryReader | undefined {
  return descriptorOf(cfg).tokenExpiry?.(backend);
}
