// SDK clients answered with canned Data API responses, to compare the lean decoder
// (src/dataapi/client/lean-decoder.ts) with the SDK's own deserializer on the same bytes.
import { Readable } from 'node:stream';
import { BatchExecuteStatementCommand, ExecuteStatementCommand, RDSDataClient } from '@aws-sdk/client-rds-data';
import { installLeanDecoder } from '../../src/dataapi/client/lean-protocol.js';

export interface CannedResponse {
  status?: number;
  headers?: Record<string, string>;
  body: string | Buffer;
}

/** An SDK client whose every call is answered with `canned`; lean or the SDK's deserializer. */
export function cannedClient(canned: CannedResponse, lean: boolean): RDSDataClient {
  const sdk = new RDSDataClient({
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts: 1,
    requestHandler: {
      handle: async () => ({
        response: {
          statusCode: canned.status ?? 200,
          headers: { 'content-type': 'application/json', 'x-amzn-requestid': 'req-1', ...canned.headers },
          body: Readable.from([Buffer.from(canned.body)]),
        },
      }),
    } as never,
  });
  if (lean && !installLeanDecoder(sdk)) throw new Error('lean decoder not installed');
  return sdk;
}

export const ARNS = { resourceArn: 'arn:aws:rds:us-east-1:123456789012:cluster:c', secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:s' };

type Outcome = { ok: unknown } | { error: { name: string; message: string; fault: unknown; status: unknown; fields: Record<string, unknown> } };

async function outcomeOf(send: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: await send() };
  } catch (e) {
    const err = e as Error & { $fault?: unknown; $metadata?: { httpStatusCode?: number } };
    const fields = Object.fromEntries(Object.entries(err).filter(([k]) => !k.startsWith('$')));
    return { error: { name: err.name, message: err.message, fault: err.$fault, status: err.$metadata?.httpStatusCode, fields } };
  }
}

/** Both decoders' outcome for one canned response to ExecuteStatement (or BatchExecute). */
export async function bothOutcomes(canned: CannedResponse, operation: 'execute' | 'batch' = 'execute'): Promise<[Outcome, Outcome]> {
  const run = (lean: boolean) => {
    const sdk = cannedClient(canned, lean);
    const command =
      operation === 'execute'
        ? new ExecuteStatementCommand({ ...ARNS, sql: 'select 1', includeResultMetadata: true })
        : new BatchExecuteStatementCommand({ ...ARNS, sql: 'insert', parameterSets: [[]] });
    return outcomeOf(() => sdk.send(command as never)).finally(() => sdk.destroy());
  };
  return [await run(false), await run(true)];
}

