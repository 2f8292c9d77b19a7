// The primary of --workers N. It serves no client itself: it forks N workers (node:cluster; the
// cluster hands each accepted connection to the next worker in turn), and keeps what must exist
// once: /metrics (the workers' registries aggregated) and the health probes, signal handling and
// the graceful shutdown, the forwarding of cancel keys between workers, and the replacement of a
// worker that dies, with a growing delay so that a worker failing at once cannot spin.
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import { DEFAULTS, type ProxyConfig } from '../config/types.js';
import { startAdminServer, type AdminServer } from '../metrics/index.js';
import { createLogger, type Logger } from '../util/logger.js';
import { CancelExchange } from './cancel-routing.js';
import { isOurs, WORKER_INDEX_ENV, type PrimaryToWorker, type WorkerToPrimary } from './messages.js';

/** First restart delay of a worker that died; doubled for each death in a row, up to the cap. */
const RESTART_DELAY_MS = 500;
const MAX_RESTART_DELAY_MS = 30_000;
/** A worker that served this long before dying starts again without delay growth. */
const STABLE_AFTER_MS = 60_000;
/** After the drain period, how long workers get to end before they are killed. */
const SHUTDOWN_MARGIN_MS = 15_000;

interface Slot {
  readonly index: number;
  worker?: Worker;
  listening: boolean;
  startedAt: number;
  /** Deaths in a row of workers in this slot that did not serve for STABLE_AFTER_MS. */
  failures: number;
  restartTimer?: NodeJS.Timeout;
}

export async function runPrimary(config: ProxyConfig, workers: number): Promise<void> {
  const log = createLogger(config.log);
  const slots: Slot[] = Array.from({ length: workers }, (_, index) => ({ index, listening: false, startedAt: 0, failures: 0 }));
  const readinessAnswers = new Map<number, (error?: string) => void>();
  let nextReadinessId = 1;
  let started = false;
  let stopping = false;
  let startFailed: ((err: Error) => void) | undefined;
  let allListening: (() => void) | undefined;
  let allExited: (() => void) | undefined;
  let uncleanExit = false;
  let address = '?';
  let admin: AdminServer | undefined;

  /** Whether the message was handed to the worker's channel. */
  const deliver = (worker: Worker | undefined, message: PrimaryToWorker): boolean => {
    if (!worker?.isConnected()) return false;
    worker.send(message, undefined, () => {});
    return true;
  };
  const send = (slot: Slot, message: PrimaryToWorker) => deliver(slot.worker, message);
  // Keyed by the worker, not its slot: a cancel owed by a worker that died is answered at its
  // exit, and one owed to a dead worker's replacement is never delivered to it.
  const cancels = new CancelExchange<Worker>((index) => slots[index]?.worker, deliver);

  const onMessage = (slot: Slot, message: unknown) => {
    if (!isOurs<WorkerToPrimary>(message)) return;
    switch (message.apgp) {
      case 'listening':
        slot.listening = true;
        address = message.addresses.join(', ');
        if (started) log.info({ worker: slot.index, pid: slot.worker?.process.pid }, 'worker listening again');
        if (slots.every((s) => s.listening)) allListening?.();
        break;
      case 'cancel':
        if (slot.worker) cancels.request(slot.worker, message.id, message);
        break;
      case 'cancelled':
        cancels.answer(message.id);
        break;
      case 'readiness':
        readinessAnswers.get(message.id)?.(message.error);
        break;
    }
  };

  const fork = (slot: Slot) => {
    slot.restartTimer = undefined;
    const worker = cluster.fork({ [WORKER_INDEX_ENV]: String(slot.index) });
    slot.worker = worker;
    slot.listening = false;
    slot.startedAt = Date.now();
    worker.on('message', (m: unknown) => onMessage(slot, m));
    worker.on('error', () => {}); // IPC to a dying worker; its 'exit' follows
    worker.on('exit', (code, signal) => onExit(slot, worker, code, signal));
    log.info({ worker: slot.index, pid: worker.process.pid }, 'worker started');
  };

  const onExit = (slot: Slot, worker: Worker, code: number | null, signal: string | null) => {
    cancels.gone(worker);
    if (slot.worker !== worker) return;
    const wasListening = slot.listening;
    slot.worker = undefined;
    slot.listening = false;
    if (stopping) {
      if (code !== 0) uncleanExit = true;
      log.info({ worker: slot.index, pid: worker.process.pid, code, signal }, 'worker stopped');
      if (slots.every((s) => !s.worker)) allExited?.();
      return;
    }
    if (!started) {
      startFailed?.(new Error(`worker ${slot.index} exited (${signal ?? `code ${code}`}) before it listened; its error is logged above`));
      return;
    }
    if (wasListening && Date.now() - slot.startedAt >= STABLE_AFTER_MS) slot.failures = 0;
    slot.failures += 1;
    const delayMs = Math.min(MAX_RESTART_DELAY_MS, RESTART_DELAY_MS * 2 ** (slot.failures - 1));
    log.error(
      { worker: slot.index, pid: worker.process.pid, code, signal, restartInMs: delayMs },
      `worker ${slot.index} exited unexpectedly; its sessions ended; starting a new one`,
    );
    slot.restartTimer = setTimeout(() => fork(slot), delayMs);
  };

  const askReadiness = async () => {
    const down = slots.find((s) => !s.listening);
    if (down) throw new Error(`worker ${down.index} is not running`);
    const answers = slots.map(
      (slot) =>
        new Promise<void>((resolve, reject) => {
          const id = nextReadinessId++;
          const timer = setTimeout(() => settle(`worker ${slot.index} did not answer`), 10_000);
          const settle = (error?: string) => {
            clearTimeout(timer);
            readinessAnswers.delete(id);
            if (error) reject(new Error(error));
            else resolve();
          };
          readinessAnswers.set(id, settle);
          send(slot, { apgp: 'readiness?', id });
        }),
    );
    await Promise.all(answers);
  };

  const aggregator = new AggregatorRegistry();
  if (config.metrics) {
    admin = await startAdminServer({
      host: config.metrics.host,
      port: config.metrics.port,
      registry: { metrics: () => aggregator.clusterMetrics(), contentType: aggregator.contentType },
      isStarted: () => started,
      checkReady: askReadiness,
      readinessCacheMs: (config.readinessCacheSeconds ?? DEFAULTS.readinessCacheSeconds) * 1000,
      log,
    });
    log.info({ address: `${config.metrics.host}:${admin.port}` }, `metrics and health on http://${config.metrics.host}:${admin.port}/metrics`);
  }

  log.info({ workers, pid: process.pid }, `starting ${workers} workers`);
  try {
    await new Promise<void>((resolve, reject) => {
      allListening = resolve;
      startFailed = reject;
      for (const slot of slots) fork(slot);
    });
  } catch (err) {
    stopping = true;
    await stopWorkers(slots, log, 5_000);
    await admin?.close();
    throw err;
  }
  started = true;
  log.info({ workers, address }, `all ${workers} workers listening on ${address}`);

  const shutdown = async (signal: NodeJS.Signals) => {
    stopping = true;
    for (const slot of slots) clearTimeout(slot.restartTimer);
    const running = slots.filter((s) => s.worker);
    log.info({ signal, workers: running.length }, 'shutting down: workers stop accepting connections and drain');
    const exited = new Promise<void>((resolve) => {
      allExited = resolve;
      if (slots.every((s) => !s.worker)) resolve();
    });
    for (const slot of running) send(slot, { apgp: 'shutdown' });
    const limitMs = config.shutdown.maxSigtermDelaySeconds * 1000 + SHUTDOWN_MARGIN_MS;
    const timer = setTimeout(() => {
      log.error({ afterMs: limitMs }, 'workers did not stop in time: killing them');
      uncleanExit = true;
      for (const slot of slots) slot.worker?.process.kill('SIGKILL');
    }, limitMs);
    await exited;
    clearTimeout(timer);
    await admin?.close();
  };

  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      log.warn({ signal }, 'second signal: exiting now');
      for (const slot of slots) slot.worker?.process.kill('SIGKILL');
      process.exit(1);
    }
    signalled = true;
    void shutdown(signal).then(
      () => {
        if (uncleanExit) log.error('shutdown complete, but a worker did not stop cleanly');
        else log.info('shutdown complete');
        process.exit(uncleanExit ? 1 : 0);
      },
      (err) => {
        log.error({ err: (err as Error).message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** Asks every running worker to stop, and kills those still running after timeoutMs. */
async function stopWorkers(slots: Slot[], log: Logger, timeoutMs: number): Promise<void> {
  const running = slots.flatMap((s) => (s.worker ? [s.worker] : []));
  for (const slot of slots) clearTimeout(slot.restartTimer);
  await Promise.all(
    running.map(
      (w) =>
        new Promise<void>((resolve) => {
          if (w.isDead()) return resolve();
          const timer = setTimeout(() => {
            log.warn({ pid: w.process.pid }, 'worker did not stop: killing it');
            w.process.kill('SIGKILL');
          }, timeoutMs);
          w.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          if (w.isConnected()) w.send({ apgp: 'shutdown' } satisfies PrimaryToWorker, undefined, () => {});
          else w.process.kill('SIGTERM');
        }),
    ),
  );
}
