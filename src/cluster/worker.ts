// One worker of --workers N: the listeners and relay of the single-process proxy, with the
// worker's index on every log line, its share of login pacing, cancel keys routed through the
// primary, and its metrics answered to the primary's aggregation. No admin server of its own.
import { AggregatorRegistry } from 'prom-client';
import type { ListenerConfig, ProxyConfig } from '../config/types.js';
import { exitOnSignals, startProxy, type RunningProxy } from '../cli/start-proxy.js';
import { createLogger } from '../util/logger.js';
import { CancelForwarder, RoutedCancelRegistry } from './cancel-routing.js';
import { isOurs, type PrimaryToWorker, type WorkerToPrimary } from './messages.js';

/** Whether the message was handed to the channel (false: the primary is gone). */
function send(message: WorkerToPrimary): boolean {
  if (!process.connected || !process.send) return false;
  process.send(message, undefined, {}, () => {}); // a closed channel means the primary is gone; 'disconnect' handles that
  return true;
}

export async function runWorker(config: ProxyConfig, index: number, workers: number): Promise<void> {
  // Ctrl-C at a terminal signals the whole process group; the primary decides and tells workers.
  process.on('SIGINT', () => {});
  const log = createLogger(config.log).child({ worker: index });
  const forwarder = new CancelForwarder((request) => send({ apgp: 'cancel', ...request }));
  const cancels = new RoutedCancelRegistry(index, (key) => forwarder.forward(key));
  const workerConfig: ProxyConfig = {
    ...config,
    listeners: config.listeners.map((l) => shareOfPacing(l, workers)),
    metrics: undefined, // the primary serves /metrics and the probes
    workers: 1,
  };
  const proxy = await startProxy(workerConfig, log, cancels);
  new AggregatorRegistry(); // installs prom-client's answer to the primary's metric requests
  AggregatorRegistry.setRegistries([proxy.metrics.registry]);

  const onSignal = exitOnSignals(proxy, async () => {}, ['SIGTERM']);
  let asked = false;
  const shutdownOnce = () => {
    if (asked) return;
    asked = true;
    onSignal('SIGTERM');
  };
  process.on('message', (message: unknown) => {
    if (!isOurs<PrimaryToWorker>(message)) return;
    switch (message.apgp) {
      case 'cancel': {
        const answer = () => void send({ apgp: 'cancelled', id: message.id });
        cancels.cancelForwarded(message).then(answer, answer);
        break;
      }
      case 'cancelled':
        forwarder.answered(message.id);
        break;
      case 'readiness?':
        void readiness(proxy).then((error) => send({ apgp: 'readiness', id: message.id, ...(error ? { error } : {}) }));
        break;
      case 'shutdown':
        shutdownOnce();
        break;
    }
  });
  // A primary that died (SIGKILL, crash) leaves no one to restart or stop the workers: stop too.
  process.on('disconnect', () => {
    forwarder.settleAll();
    if (!asked) log.warn('primary process gone: shutting down');
    shutdownOnce();
  });
  send({
    apgp: 'listening',
    addresses: proxy.listeners.map((l) => {
      const a = l.address;
      return a ? `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` : '?';
    }),
  });
}

async function readiness(proxy: RunningProxy): Promise<string | undefined> {
  try {
    await Promise.all(proxy.backends.map((b) => b.checkReady?.()));
    return undefined;
  } catch (err) {
    return (err as Error)?.message ?? String(err);
  }
}

/**
 * Login pacing stays one limit for the whole proxy: each of N workers paces at 1/N of the rate
 * with 1/N of the burst (at least one login). A worker whose clients arrive in a burst can
 * therefore wait while another's bucket is full; the total never exceeds the configured rate.
 */
export function shareOfPacing(listener: ListenerConfig, workers: number): ListenerConfig {
  const settings = listener.settings as unknown as Record<string, unknown>;
  if (workers <= 1 || typeof settings.maxConnectRate !== 'number' || typeof settings.connectBurst !== 'number') return listener;
  return {
    ...listener,
    settings: {
      ...settings,
      maxConnectRate: settings.maxConnectRate / workers,
      connectBurst: Math.max(1, Math.floor(settings.connectBurst / workers)),
    },
  } as ListenerConfig;
}
