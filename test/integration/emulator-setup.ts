// Shared pieces of the emulator integration suites: the real SDK client pointed at the emulator.
import { RDSDataClient } from '@aws-sdk/client-rds-data';

export const ARNS = {
  resourceArn: 'arn:aws:rds:us-east-1:123456789012:cluster:emulated',
  secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:emulated-AbCdEf',
};

export const CREDENTIALS = { accessKeyId: 'AKIDEMULATORTEST', secretAccessKey: 'emulator/secret+key' };

export function sdkClient(url: string, credentials = CREDENTIALS): RDSDataClient {
  // One attempt: a retried call would hide what the emulator answered the first time.
  return new RDSDataClient({ endpoint: url, region: 'us-east-1', credentials, maxAttempts: 1 });
}

export type CallFailure = Error & { $metadata?: { httpStatusCode?: number }; [member: string]: unknown };

/** The error a call fails with (the test fails if it succeeds). */
export async function failureOf(p: Promise<unknown>): Promise<CallFailure> {
  try {
    await p;
  } catch (err) {
    return err as CallFailure;
  }
  throw new Error('expected the call to fail');
}
