// The Data API mode: no database connection is held; each client gets a session that turns its
// messages into Data API calls. Facts about the server (version, role) are read once, with the
// first client, and shared.
import type { Backend, ClientSession } from '../server/types.js';
import { DataApiClient, type DataApiCallObserver, type DataApiTarget } from './client/data-api-client.js';
import { DescribeCache } from './session/describe.js';
import { DataApiSession, type DataApiSessionObserver } from './session/session.js';
import type { ServerFacts } from './session/settings.js';

export type DataApiObserver = DataApiCallObserver & DataApiSessionObserver;

export interface DataApiBackendOptions {
  target: DataApiTarget;
  maxMessageBytes: number;
}

/** Facts are re-read after this long, so a major-version upgrade shows up without a restart. */
const FACTS_TTL_MS = 10 * 60 * 1000;

export class DataApiBackend implements Backend {
  readonly mode = 'data-api';
  readonly client: DataApiClient;
  private readonly describeCache = new DescribeCache();
  private facts: { value: ServerFacts; at: number } | null = null;
  private factsInflight: Promise<ServerFacts> | null = null;

  constructor(
    private readonly opts: DataApiBackendOptions,
    private readonly observer: DataApiObserver = {},
  ) {
    this.client = new DataApiClient(opts.target, observer);
  }

  async serve(session: ClientSession): Promise<void> {
    const facts = await this.serverFacts();
    const s = new DataApiSession(session, {
      client: this.client,
      facts,
      describeCache: this.describeCache,
      observer: this.observer,
      maxMessageBytes: this.opts.maxMessageBytes,
    });
    await s.run();
  }

  async checkReady(): Promise<void> {
    await this.client.execute({ sql: 'SELECT 1' });
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private async serverFacts(): Promise<ServerFacts> {
    if (this.facts && Date.now() - this.facts.at < FACTS_TTL_MS) return this.facts.value;
    this.factsInflight ??= (async () => {
      const out = await this.client.execute({
        sql: "SELECT current_setting('server_version'), current_setting('server_version_num'), current_setting('is_superuser'), session_user",
      });
      const r = out.records?.[0] ?? [];
      const value: ServerFacts = {
        serverVersion: r[0]?.stringValue ?? '15.0',
        serverVersionNum: r[1]?.stringValue ?? '150000',
        isSuperuser: r[2]?.stringValue ?? 'off',
        sessionAuthorization: r[3]?.stringValue ?? '',
      };
      this.facts = { value, at: Date.now() };
      return value;
    })().finally(() => (this.factsInflight = null));
    return this.factsInflight;
  }
}
