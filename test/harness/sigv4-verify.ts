// Checks an Aurora DSQL IAM authentication token the way the service must: the token is a SigV4
// presigned `GET https://<host>/?Action=...` URL without its scheme (as @aws-sdk/dsql-signer
// makes it), so we re-sign the same request with the configured credentials, date and expiry
// and compare signatures in constant time. Nothing is trusted from the token that the signature
// does not cover; the plain checks before re-signing only produce clearer reasons.
//
// Hint texts: DSQL answers a refused token with `unable to accept connection, access denied` and
// puts the reason in HINT (observed: `Wrong user to action mapping. user: admin, action:
// DbConnect`, `Signature expired: ...`). The other hints reuse the wording AWS uses for the same
// SigV4 failures elsewhere; DSQL's exact text for them is not documented.
import { timingSafeEqual } from 'node:crypto';
import { NodeSha256 } from '../../src/util/node-sha256.js';
import { SignatureV4 } from '@smithy/signature-v4';

export interface AwsStaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export type DsqlAction = 'DbConnect' | 'DbConnectAdmin';

export type TokenRejectReason =
  | 'malformed'
  | 'wrong-host'
  | 'wrong-algorithm'
  | 'unknown-access-key'
  | 'wrong-scope'
  | 'expired'
  | 'not-yet-valid'
  | 'wrong-security-token'
  | 'bad-signature'
  | 'wrong-action';

export type TokenVerdict = { ok: true; action: DsqlAction } | { ok: false; reason: TokenRejectReason; hint: string };

export interface TokenExpectations {
  /** The cluster endpoint the token must be signed for. */
  hostname: string;
  region: string;
  credentials: AwsStaticCredentials;
  /** The database user from the StartupMessage; decides which Action is required. */
  user: string;
  now: Date;
}

const SERVICE = 'dsql';
const ALGORITHM = 'AWS4-HMAC-SHA256';
/** SigV4's limit for presigned URLs, and DSQL's documented maximum token life. */
const MAX_EXPIRES_SECONDS = 604_800;
/** SigV4 services accept signing dates up to 5 minutes ahead of their clock. */
const CLOCK_SKEW_MS = 5 * 60_000;

export function requiredAction(user: string): DsqlAction {
  return user === 'admin' ? 'DbConnectAdmin' : 'DbConnect';
}

export async function verifyDsqlToken(token: string, expect: TokenExpectations): Promise<TokenVerdict> {
  const parsed = parseToken(token);
  if (!parsed) return reject('malformed', 'The authentication token is not a presigned DSQL URL.');
  const { host, query } = parsed;

  if (host.toLowerCase() !== expect.hostname.toLowerCase()) {
    return reject('wrong-host', `The token was signed for host "${host}", not for this cluster endpoint.`);
  }
  const action = query.get('Action');
  if (action !== 'DbConnect' && action !== 'DbConnectAdmin') {
    return reject('malformed', `Unknown action: ${action ?? '(none)'}.`);
  }
  const algorithm = query.get('X-Amz-Algorithm');
  if (algorithm !== ALGORITHM) return reject('wrong-algorithm', `Unsupported algorithm: ${algorithm ?? '(none)'}.`);

  const credential = (query.get('X-Amz-Credential') ?? '').split('/');
  const amzDate = query.get('X-Amz-Date') ?? '';
  const signingDate = parseAmzDate(amzDate);
  const expiresText = query.get('X-Amz-Expires') ?? '';
  const signature = query.get('X-Amz-Signature') ?? '';
  const signedHeaders = query.get('X-Amz-SignedHeaders');
  if (credential.length !== 5 || !signingDate || !/^\d{1,7}$/.test(expiresText) || !/^[0-9a-f]{64}$/.test(signature)) {
    return reject('malformed', 'The authentication token lacks a valid credential, date, expiry or signature.');
  }
  const [accessKeyId, scopeDate, scopeRegion, scopeService, terminator] = credential;
  if (accessKeyId !== expect.credentials.accessKeyId) {
    return reject('unknown-access-key', 'The AWS Access Key Id you provided does not exist in our records.');
  }
  if (scopeService !== SERVICE || terminator !== 'aws4_request') {
    return reject('wrong-scope', `Credential should be scoped to correct service: '${SERVICE}'.`);
  }
  if (scopeRegion !== expect.region) {
    return reject('wrong-scope', `Credential should be scoped to a valid region, not '${scopeRegion}'.`);
  }
  if (scopeDate !== amzDate.slice(0, 8)) {
    return reject('wrong-scope', 'Credential should be scoped to the date of X-Amz-Date.');
  }

  const expiresIn = Number(expiresText);
  if (expiresIn < 1 || expiresIn > MAX_EXPIRES_SECONDS) {
    return reject('malformed', `X-Amz-Expires must be between 1 and ${MAX_EXPIRES_SECONDS} seconds.`);
  }
  const expiresAt = new Date(signingDate.getTime() + expiresIn * 1000);
  if (expect.now.getTime() > expiresAt.getTime()) {
    return reject('expired', `Signature expired: ${formatAmzDate(expiresAt)} is now earlier than ${formatAmzDate(expect.now)}.`);
  }
  if (signingDate.getTime() > expect.now.getTime() + CLOCK_SKEW_MS) {
    const latest = formatAmzDate(new Date(expect.now.getTime() + CLOCK_SKEW_MS));
    return reject('not-yet-valid', `Signature not yet current: ${amzDate} is still later than ${latest}.`);
  }

  const presentedToken = query.get('X-Amz-Security-Token');
  if ((presentedToken ?? undefined) !== expect.credentials.sessionToken) {
    return reject('wrong-security-token', 'The security token included in the request is invalid.');
  }
  if (signedHeaders !== 'host') {
    return reject('bad-signature', signatureMismatchHint);
  }

  const expected = await presignedSignature(host, query, signingDate, expiresIn, expect);
  if (!constantTimeEqual(expected, signature)) return reject('bad-signature', signatureMismatchHint);

  // Checked only once the signature proves the Action is what the caller signed.
  if (action !== requiredAction(expect.user)) {
    return reject('wrong-action', `Wrong user to action mapping. user: ${expect.user}, action: ${action}`);
  }
  return { ok: true, action };
}

const signatureMismatchHint =
  'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method.';

function reject(reason: TokenRejectReason, hint: string): TokenVerdict {
  return { ok: false, reason, hint };
}

/**
 * Re-signs the request the token describes. Every query parameter except the signature is
 * passed in, so a parameter added to or changed in the token changes the canonical request.
 */
async function presignedSignature(
  host: string,
  query: Map<string, string>,
  signingDate: Date,
  expiresIn: number,
  expect: TokenExpectations,
): Promise<string> {
  const signer = new SignatureV4({ service: SERVICE, region: expect.region, credentials: expect.credentials, sha256: NodeSha256 });
  const unsignedQuery: Record<string, string> = {};
  for (const [key, value] of query) if (key !== 'X-Amz-Signature') unsignedQuery[key] = value;
  type PresignRequest = Parameters<SignatureV4['presign']>[0];
  const request: PresignRequest = {
    method: 'GET',
    protocol: 'https:',
    hostname: host,
    path: '/',
    query: unsignedQuery,
    headers: { host },
  };
  const presigned = await signer.presign(request, { signingDate, expiresIn });
  const value = presigned.query?.['X-Amz-Signature'];
  return typeof value === 'string' ? value : '';
}

export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * `<host>/?k=v&k=v`, percent-encoded as SigV4's escapeUri does. Parsed by hand rather than with
 * URL/URLSearchParams, which would lowercase the host and turn `+` into a space, so that the
 * re-signed request is byte-for-byte the one the client signed. Repeated keys are refused.
 */
function parseToken(token: string): { host: string; query: Map<string, string> } | null {
  const start = token.indexOf('/?');
  if (start <= 0 || token.includes('#')) return null;
  const host = token.slice(0, start);
  if (!/^[A-Za-z0-9.-]+$/.test(host)) return null;
  const query = new Map<string, string>();
  for (const pair of token.slice(start + 2).split('&')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return null;
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(pair.slice(0, eq));
      value = decodeURIComponent(pair.slice(eq + 1));
    } catch {
      return null;
    }
    if (query.has(key)) return null;
    query.set(key, value);
  }
  return { host, query };
}

function parseAmzDate(text: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return null;
  const date = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
  return Number.isNaN(date.getTime()) || formatAmzDate(date) !== text ? null : date;
}

function formatAmzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

export { NodeSha256 };
