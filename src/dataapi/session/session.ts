// One client in Data API mode, from its first ReadyForQuery to Terminate. This file wires the
// parts together and runs the message loop; what each message means is the protocol machine's
// (protocol/protocol-machine.ts: statements, portals, skip until Sync), and how a statement
// runs over the Data API is the handler's (data-api-handler.ts and the files it routes to).
import {
  encodeBackendKeyData,
  encodeErrorResponse,
  encodeReadyForQuery,
} from '../../protocol/backend-encoder.js';
import { decodeFrontendMessage } from '../../protocol/frontend-decoder.js';
import { ProtocolViolation } from '../../protocol/errors.js';
import { terminationFields } from '../../protocol/client-error.js';
import { MessageChannel, StreamClosedError } from '../../server/message-channel.js';
import type { ClientSession } from '../../server/types.js';
import type { DataApiClient } from '../client/data-api-client.js';
import { ProtocolMachine } from '../protocol/protocol-machine.js';
import { parseStatement } from '../sql/index.js';
import { StatementRegistry } from '../protocol/statement-registry.js';
import { noticeResuming } from './answers.js';
import { ClientInput, type Frame } from './client-input.js';
import { ClientWriter } from './client-writer.js';
import { DataApiHandler } from './data-api-handler.js';
import { describeStatement, type DescribeCache } from './describe.js';
import { ParameterReports } from './parameter-reports.js';
import type { DataApiSessionObserver, SessionContext } from './session-context.js';
import { SessionSettings, type ServerFacts } from './settings.js';
import { Transaction } from './transaction.js';
import { SessionObjects, type DatabaseObjects } from './session-objects.js';
import { BatchRoutes } from './batch-route.js';

export type { DataApiSessionObserver } from './session-context.js';

export interface DataApiSessionDeps {
  client: DataApiClient;
  facts: ServerFacts;
  describeCache: DescribeCache;
  observer: DataApiSessionObserver;
  maxMessageBytes: number;
  pageInTransactions?: boolean;
  /** See DataApiSettings.oneSessionDatabase. */
  oneSessionDatabase?: boolean;
  /** Shared per database: session schemas, table OIDs (session-objects.ts). */
  databaseObjects?: DatabaseObjects;
}

export class DataApiSession {
  private readonly sc: SessionContext;
  private readonly machine: ProtocolMachine;
  private terminated = false;
  /** The message loop has answered everything and waits for the client (see onCancel). */
  private waitingForClient = false;

  constructor(
    private readonly session: ClientSession,
    deps: DataApiSessionDeps,
  ) {
    const out = new ClientWriter(session.stream, (n) => deps.observer.bytes?.('upstream_to_client', n));
    const settings = new SessionSettings(deps.facts, session.parameters);
    const parameters = new ParameterReports();
    const tx = new Transaction(deps.client, {
      transactionOpened: () => {
        settings.transactionStarted();
        deps.observer.transactionOpened?.();
      },
      transactionClosed: () => deps.observer.transactionClosed?.(),
      transactionEnded: (committed) => {
        sessionObjects?.transactionEnded(committed); // temp objects' ON COMMIT, held cursors
        // A rollback undoes the SETs made in the transaction, reported ones included.
        for (const [k, v] of settings.transactionEnded(committed)) parameters.changed(k, v);
      },
      transactionFailed: () => {
        for (const [k, v] of settings.transactionFailed()) parameters.changed(k, v);
      },
    }, undefined, deps.oneSessionDatabase ?? false);
    const registry = new StatementRegistry();
    // Temp tables, WITH HOLD cursors and table OIDs: what the session owns beyond its statements.
    const sessionObjects = deps.databaseObjects ? new SessionObjects(deps.databaseObjects, deps.client) : undefined;
    this.sc = {
      session,
      client: deps.client,
      describeCache: deps.describeCache,
      observer: deps.observer,
      out,
      input: new ClientInput(new MessageChannel(session.stream, deps.maxMessageBytes, session.pending)),
      nextFrame: () => this.nextFrame(),
      tx,
      settings,
      parameters,
      registry,
      runner: {
        tx,
        settings,
        onResuming: () => noticeResuming(this.sc),
        cursorColumns: new Map(),
        pageInTransactions: deps.pageInTransactions ?? false,
        sessionObjects,
        batchRoutes: new BatchRoutes(),
        describe: (statement, paramTypes) => {
          // The session's temp names are qualified by its schema before the database sees the text.
          const text = sessionObjects ? sessionObjects.rewriteText(statement.text) : statement.text;
          const st = text === statement.text ? statement : parseStatement(text);
          return describeStatement(deps.describeCache, deps.client, { ...st, paramTypes, paramCount: paramTypes.length }, () => noticeResuming(this.sc), tx);
        },
      },
      cancelRequested: false,
      lastExtendedText: null,
    };
    this.machine = new ProtocolMachine(out, registry, new DataApiHandler(this.sc));
    session.onCancel(() => {
      // PostgreSQL drops a cancel that arrives while it waits for the client's next command: no
      // statement is running. A client between the row-limited Executes of a portal (pg-cursor,
      // a fetch size) has had its batch answered; the next Execute must not fail for it.
      if (!this.waitingForClient) this.sc.cancelRequested = true;
    });
  }

  async run(): Promise<void> {
    const { out, settings, parameters } = this.sc;
    for (const m of parameters.atStartup(settings.reportedAtStartup())) out.send(m);
    out.send(encodeBackendKeyData(this.session.cancelKey.processId, this.session.cancelKey.secretKey));
    out.send(encodeReadyForQuery('I'));
    // The listener aborts a session once its grace period is over (SIGTERM) or it sat idle: the
    // client is told at once, as PostgreSQL tells it, even while a call is running; that call's
    // answer is dropped and its transaction rolled back when the loop ends.
    const onShutdown = () => void this.terminate();
    this.session.shutdownSignal.addEventListener('abort', onShutdown, { once: true });
    try {
      await out.flush(); // the login answer (a client gone already ends the session here)
      for (;;) {
        const frame = await this.nextFrame(true);
        const msg = decodeFrontendMessage(frame.type, frame.body);
        this.session.counters.bytesFromClient += frame.body.length + 5;
        this.sc.observer.bytes?.('client_to_upstream', frame.body.length + 5);
        if (msg.type === 'Terminate') return;
        await this.machine.dispatch(msg);
      }
    } catch (err) {
      if (err instanceof StreamClosedError) return;
      if (err instanceof ProtocolViolation) {
        out.send(encodeErrorResponse({ severity: 'FATAL', code: err.sqlstate, message: err.message }));
        await out.flush().catch(() => undefined);
        this.session.stream.end();
        return;
      }
      throw err;
    } finally {
      this.session.shutdownSignal.removeEventListener('abort', onShutdown);
      this.session.counters.bytesToClient += out.bytesWritten;
      await this.sc.registry.closeAllPortals();
      await this.sc.tx.abandon();
      await this.sc.runner.sessionObjects?.close(); // drops the session's schema
    }
  }

  /**
   * The next frame; what was answered so far goes out before waiting for the client. `command`:
   * the message loop's read, where the session, with nothing of the client's left to answer,
   * is idle as PostgreSQL is when it reads a command (not COPY's read of its data).
   */
  private async nextFrame(command = false): Promise<Frame> {
    const { input, out } = this.sc;
    if (input.hasQueued) return input.next();
    if (command) {
      // A cancel that came after the last statement's answer was made cancels nothing either.
      this.sc.cancelRequested = false;
      this.waitingForClient = true;
    }
    try {
      await out.flush();
      if (this.session.shutdownSignal.aborted) {
        await this.terminate();
        throw new StreamClosedError('session ended by the proxy');
      }
      return await input.next();
    } finally {
      this.waitingForClient = false;
    }
  }

  private async terminate(): Promise<void> {
    if (this.terminated) return;
    this.terminated = true;
    const { out } = this.sc;
    out.discardQueued();
    out.send(encodeErrorResponse(terminationFields(this.session.shutdownSignal.reason)));
    await out.flush().catch(() => undefined);
    out.close();
    this.session.stream.end();
    setTimeout(() => this.session.stream.destroy(), 2000).unref();
  }
}
