// Checks an AWS Signature Version 4 Authorization header the way AWS does for rds-data: the key
// id must be known, the scope must name rds-data (and the region, when one is configured), the
// request date must be within 15 minutes, and the signature must match the one we compute with
// @smithy/signature-v4 over the same signed headers and payload.

import { createHash, timingSafeEqual } from 'node:crypto';
import { NodeSha256 } from '../util/node-sha256.js';
import type { IncomingHttpHeaders } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { ApiError } from './errors.js';

export const SIGNING_SERVICE = 'rds-data';
const MAX_SKEW_MS = 15 * 60 * 1000;

export { NodeSha256 };

export interface SignedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface VerifierConfig {
  accessKeyId: string;
  secretAccessKey: string;
  region?: string;
  now?: () => Date;
}

function forbidden(errorType: string, message: string): ApiError {
  return new ApiError(errorType, 403, message);
}

const INVALID_SIGNATURE =
  'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

export async function verifySignature(req: SignedRequest, config: VerifierConfig): Promise<void> {
  const authorization = headerValue(req.headers, 'authorization');
  if (!authorization) throw forbidden('MissingAuthenticationTokenException', 'Missing Authentication Token');

  const match = /^AWS4-HMAC-SHA256\s+(.*)$/s.exec(authorization.trim());
  const params = new Map<string, string>();
  for (const part of (match?.[1] ?? '').split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) params.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = params.get('Credential');
  const signedHeadersParam = params.get('SignedHeaders');
  const signature = params.get('Signature');
  if (!match || !credential || !signedHeadersParam || !signature) {
    throw forbidden(
      'IncompleteSignatureException',
      `Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters. Authorization=${authorization.split(' ')[0]}`,
    );
  }

  const [accessKeyId, scopeDate, scopeRegion, scopeService, terminator] = credential.split('/');
  if (accessKeyId !== config.accessKeyId) {
    throw forbidden('UnrecognizedClientException', 'The security token included in the request is invalid.');
  }
  const amzDate = headerValue(req.headers, 'x-amz-date');
  if (!amzDate) {
    throw forbidden(
      'IncompleteSignatureException',
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    );
  }
  const signingDate = parseAmzDate(amzDate);
  if (!signingDate) throw forbidden('IncompleteSignatureException', `Invalid X-Amz-Date: ${amzDate}`);
  checkClock(signingDate, amzDate, (config.now ?? (() => new Date()))());
  if (scopeDate !== amzDate.slice(0, 8)) {
    throw forbidden(
      'InvalidSignatureException',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
    );
  }
  if (scopeService !== SIGNING_SERVICE) {
    throw forbidden('InvalidSignatureException', `Credential should be scoped to correct service: '${SIGNING_SERVICE}'. `);
  }
  if (!scopeRegion || (config.region !== undefined && scopeRegion !== config.region)) {
    throw forbidden('InvalidSignatureException', 'Credential should be scoped to a valid region. ');
  }
  if (terminator !== 'aws4_request') {
    throw forbidden('InvalidSignatureException', "Credential should be scoped with a valid terminator: 'aws4_request'. ");
  }

  const signedHeaders = signedHeadersParam.split(';').map((h) => h.trim().toLowerCase());
  if (!signedHeaders.includes('host')) throw forbidden('InvalidSignatureException', INVALID_SIGNATURE);
  // A declared payload hash is what gets signed, so it must be the hash of the body we received.
  const declaredHash = headerValue(req.headers, 'x-amz-content-sha256');
  if (declaredHash !== undefined && declaredHash !== createHash('sha256').update(req.body).digest('hex')) {
    throw forbidden('InvalidSignatureException', INVALID_SIGNATURE);
  }
  const expected = await computeSignature(req, config, scopeRegion, signingDate, signedHeaders);
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(signature, 'utf8');
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw forbidden('InvalidSignatureException', INVALID_SIGNATURE);
}

async function computeSignature(
  req: SignedRequest,
  config: VerifierConfig,
  region: string,
  signingDate: Date,
  signedHeaders: string[],
): Promise<string> {
  const url = new URL(req.url, 'http://localhost');
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = headerValue(req.headers, name);
    if (value !== undefined) headers[name] = value;
  }
  const signer = new SignatureV4({
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
    region,
    service: SIGNING_SERVICE,
    sha256: NodeSha256,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: req.method,
      protocol: 'http:',
      hostname: headers.host ?? 'localhost',
      path: url.pathname,
      query,
      headers,
      body: req.body,
    },
    { signingDate, signableHeaders: new Set(signedHeaders) },
  );
  const auth = signed.headers.authorization ?? signed.headers.Authorization ?? '';
  return /Signature=([0-9a-f]+)/.exec(auth)?.[1] ?? '';
}

function checkClock(signingDate: Date, amzDate: string, now: Date): void {
  const skew = signingDate.getTime() - now.getTime();
  if (skew < -MAX_SKEW_MS) {
    throw forbidden(
      'InvalidSignatureException',
      `Signature expired: ${amzDate} is now earlier than ${formatAmzDate(new Date(now.getTime() - MAX_SKEW_MS))} (${formatAmzDate(now)} - 15 min.)`,
    );
  }
  if (skew > MAX_SKEW_MS) {
    throw forbidden(
      'InvalidSignatureException',
      `Signature not yet current: ${amzDate} is still later than ${formatAmzDate(new Date(now.getTime() + MAX_SKEW_MS))} (${formatAmzDate(now)} + 15 min.)`,
    );
  }
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function parseAmzDate(text: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s));
}

function formatAmzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}
