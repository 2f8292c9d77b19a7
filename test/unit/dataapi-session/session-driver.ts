// Drives a DataApiSession as a client would: frontend messages encoded with pg-protocol's
// serializer go in through a fake socket, and what the session writes back is decoded with
// pg-protocol's parser. No network, no PostgreSQL.
import { Duplex, PassThrough } from 'node:stream';
import { parse, serialize } from 'pg-protocol';
import type { BackendMessage } from 'pg-protocol/dist/messages.js';
import { createLogger } from '../../../src/util/logger.js';
import type { ClientSession } from '../../../src/server/types.js';
import { DataApiSession } from '../../../src/dataapi/session/session.js';
import { DescribeCache } from '../../../src/dataapi/session/describe.js';
import { afterEach } from 'vitest';
import { FakeDataApi, type Script } from './fake-data-api.js';

/** The socket between the test (the client) and the session. */
class FakeSocket extends Duplex {
  constructor(private readonly toClient: PassThrough) {
    super();
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.toClient.write(chunk, done);
  }

  override _final(done: () => void): void {
    this.toClient.end();
    done();
  }
}

export class SessionDriver {
  /** Every backend message received so far, in order. */
  readonly received: BackendMessage[] = [];
  private readonly socket: FakeSocket;
  private readonly waiters: (() => void)[] = [];
  private readonly abort = new AbortController();
  private readonly cancelHandlers: (() => void)[] = [];
  readonly finished: Promise<void>;

  constructor(readonly api: FakeDataApi) {
    const toClient = new PassThrough();
    void parse(toClient, (msg) => {
      this.received.push(msg);
      for (const w of this.waiters.splice(0)) w();
    });
    this.socket = new FakeSocket(toClient);
    const session: ClientSession = {
      stream: this.socket,
      pending: Buffer.alloc(0),
      parameters: { user: 'tester', database: 'db' },
      user: 'tester',
      database: 'db',
      remoteAddress: '127.0.0.1',
      tls: false,
      cancelKey: { processId: 1, secretKey: 2 },
      log: createLogger({ level: 'silent' }),
      onCancel: (handler) => this.cancelHandlers.push(handler),
      shutdownSignal: this.abort.signal,
      counters: { bytesFromClient: 0, bytesToClient: 0, queries: 0 },
    };
    const dataApiSession = new DataApiSession(session, {
      client: api.asClient(),
      facts: { serverVersion: '15.4', serverVersionNum: '150004', isSuperuser: 'off', sessionAuthorization: 'tester' },
      describeCache: new DescribeCache(),
      observer: {},
      maxMessageBytes: 1024 * 1024,
    });
    this.finished = dataApiSession.run();
  }

  /** Sends frontend messages as one write (a pipeline). */
  send(...messages: Buffer[]): void {
    this.socket.push(Buffer.concat(messages));
  }

  /** Waits until `count` ReadyForQuery messages arrived in all. */
  async readyCount(count: number): Promise<void> {
    while (this.received.filter((m) => m.name === 'readyForQuery').length < count) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Sends messages and returns what came back up to the next ReadyForQuery (included). */
  async roundTrip(...messages: Buffer[]): Promise<BackendMessage[]> {
    const from = this.received.length;
    const ready = this.received.filter((m) => m.name === 'readyForQuery').length;
    this.send(...messages);
    await this.readyCount(ready + 1);
    return this.received.slice(from);
  }

  /** Simulates a CancelRequest for this session arriving. */
  cancel(): void {
    for (const h of this.cancelHandlers) h();
  }

  /** The client goes away without a Terminate (its socket ends). */
  disconnect(): void {
    this.socket.push(null);
  }

  async terminate(): Promise<void> {
    this.send(serialize.end());
    await this.finished;
  }
}

/** Message names, with the command tag, ready status or error code: compact to compare. */
export function summary(messages: BackendMessage[]): string[] {
  return messages.map((m) => {
    const any = m as unknown as Record<string, unknown>;
    if (m.name === 'commandComplete') return `commandComplete ${String(any.text)}`;
    if (m.name === 'readyForQuery') return `readyForQuery ${String(any.status)}`;
    if (m.name === 'error') return `error ${String(any.code)}`;
    if (m.name === 'dataRow') return `dataRow ${JSON.stringify(any.fields)}`;
    return m.name;
  });
}

export { serialize };

/**
 * A test file's way to start sessions: each on a fake Data API running `script`, returned once
 * logged in (its first ReadyForQuery read); every one is terminated after each test.
 */
export function useSessionDrivers(): (script: Script) => Promise<SessionDriver> {
  const drivers: SessionDriver[] = [];
  afterEach(async () => {
    for (const d of drivers.splice(0)) await d.terminate();
  });
  return async (script) => {
    const driver = new SessionDriver(new FakeDataApi(script));
    drivers.push(driver);
    await driver.readyCount(1);
    return driver;
  };
}
