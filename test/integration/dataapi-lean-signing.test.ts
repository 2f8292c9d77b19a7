// The proxy's ExecuteStatement requests are signed by the lean SigV4 signer
// (src/dataapi/client/lean-signer.ts); the Data API emulator of the test stack recomputes every
// signature with @smithy/signature-v4 and refuses a wrong one, as the service does. Here: text
// that is not ASCII in the statement and in its parameters, both protocols, temporary
// credentials (a session token), and credentials the emulator does not accept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { TEST_CREDENTIALS } from '../harness/proxy-process.js';
import { startDataApiStack, type DataApiStack } from './dataapi-fixture.js';

describe('Data API requests signed by the lean signer', () => {
  let stack: DataApiStack;

  beforeAll(async () => {
    stack = await startDataApiStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  async function withClient<T>(config: pg.ClientConfig, run: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client(config);
    await client.connect();
    try {
      return await run(client);
    } finally {
      await client.end();
    }
  }

  const TEXT = 'grüße, 東京, € and \u{1F600}';

  it('are accepted by a verifying endpoint: unicode statements and parameters, simple and extended', async () => {
    await withClient(stack.pgConfig(), async (client) => {
      for (let i = 0; i < 3; i++) {
        const simple = await client.query(`select '${TEXT}' as v, ${i} as i`);
        expect(simple.rows).toEqual([{ v: TEXT, i }]);
        const extended = await client.query({ text: 'select $1::text as v, $2::int as i', values: [TEXT, i], queryMode: 'extended' } as pg.QueryConfig);
        expect(extended.rows).toEqual([{ v: TEXT, i }]);
      }
    });
  });

  it('carry a session token of temporary credentials', async () => {
    const proxy = await stack.startProxy([], { AWS_SESSION_TOKEN: 'FwoGZXIvYXdzEBYaDHRlc3Qtc2Vzc2lvbi10b2tlbg==' });
    await withClient({ ...stack.pgConfig(), host: proxy.host, port: proxy.port }, async (client) => {
      expect((await client.query(`select '${TEXT}' as v`)).rows).toEqual([{ v: TEXT }]);
    });
  });

  it('signed with a secret the endpoint does not know are refused, and the client is told why', async () => {
    const proxy = await stack.startProxy([], { AWS_SECRET_ACCESS_KEY: `${TEST_CREDENTIALS.secretAccessKey}-wrong` });
    // The session's first call (at login, or its first statement) is refused.
    const client = new pg.Client({ ...stack.pgConfig(), host: proxy.host, port: proxy.port });
    client.on('error', () => undefined);
    const error = (await client
      .connect()
      .then(() => client.query('select 1'))
      .then(
        () => null,
        (e: unknown) => e,
      )) as { code?: string; message?: string } | null;
    await client.end().catch(() => undefined);
    expect(error?.code).toBe('28000');
    expect(error?.message).toMatch(/^the Data API refused the call: The request signature we calculated does not match/);
  });
});
