import { describe, expect, it } from 'vitest';
import { SignatureV4 } from '@smithy/signature-v4';
import { ApiError } from '../../../src/emulator/errors.js';
import { NodeSha256, verifySignature } from '../../../src/emulator/sigv4.js';

const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const body = '{"resourceArn":"arn:aws:rds:us-east-1:1:cluster:x","secretArn":"arn:aws:secretsmanager:x","sql":"SELECT 1"}';

async function signedRequest(opts: { secret?: string; service?: string; region?: string; date?: Date; body?: string } = {}) {
  const signer = new SignatureV4({
    credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: opts.secret ?? creds.secretAccessKey },
    region: opts.region ?? 'us-east-1',
    service: opts.service ?? 'rds-data',
    sha256: NodeSha256,
  });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: 'http:',
      hostname: '127.0.0.1',
      path: '/Execute',
      query: {},
      headers: { host: '127.0.0.1:8080', 'content-type': 'application/json', 'content-length': String(body.length) },
      body,
    },
    { signingDate: opts.date ?? new Date() },
  );
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) headers[k.toLowerCase()] = v;
  return { method: 'POST', url: '/Execute', headers, body: Buffer.from(opts.body ?? body) };
}

async function failure(p: Promise<void>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected the signature check to fail');
}

describe('verifySignature', () => {
  it('accepts a request signed by the SDK signer with the right key', async () => {
    await expect(verifySignature(await signedRequest(), { ...creds, region: 'us-east-1' })).resolves.toBeUndefined();
  });

  it('rejects a wrong secret with InvalidSignatureException', async () => {
    const err = await failure(verifySignature(await signedRequest({ secret: 'nope' }), creds));
    expect([err.status, err.errorType]).toEqual([403, 'InvalidSignatureException']);
    expect(err.message).toMatch(/^The request signature we calculated does not match/);
  });

  it('rejects a tampered body', async () => {
    const err = await failure(verifySignature(await signedRequest({ body: body.replace('SELECT 1', 'SELECT 2') }), creds));
    expect(err.errorType).toBe('InvalidSignatureException');
  });

  it('rejects an unknown key id with UnrecognizedClientException', async () => {
    const err = await failure(verifySignature(await signedRequest(), { ...creds, accessKeyId: 'OTHER' }));
    expect([err.status, err.errorType, err.message]).toEqual([
      403,
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    ]);
  });

  it('rejects the wrong service, the wrong region and a stale date', async () => {
    expect((await failure(verifySignature(await signedRequest({ service: 'rds' }), creds))).message).toBe(
      "Credential should be scoped to correct service: 'rds-data'. ",
    );
    expect((await failure(verifySignature(await signedRequest({ region: 'eu-west-1' }), { ...creds, region: 'us-east-1' }))).message).toBe(
      'Credential should be scoped to a valid region. ',
    );
    const stale = await failure(verifySignature(await signedRequest({ date: new Date(Date.now() - 20 * 60_000) }), creds));
    expect(stale.errorType).toBe('InvalidSignatureException');
    expect(stale.message).toMatch(/^Signature expired: \d{8}T\d{6}Z is now earlier than/);
  });

  it('answers a request without Authorization with MissingAuthenticationTokenException', async () => {
    const req = await signedRequest();
    delete req.headers.authorization;
    const err = await failure(verifySignature(req, creds));
    expect([err.status, err.errorType, err.message]).toEqual([403, 'MissingAuthenticationTokenException', 'Missing Authentication Token']);
  });
});
