// Checks an RDS IAM authentication token the way RDS must, independently of @aws-sdk/rds-signer:
// the token is a SigV4 presigned `GET https://<host>:<port>/?Action=connect&DBUser=<user>` URL
// without its scheme, signed for service `rds-db`. We re-sign the same request with the
// configured credentials, date and expiry (@smithy/signature-v4, as in sigv4-verify.ts) and
// compare signatures in constant time. The checks before re-signing only give clearer reasons.
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../../src/util/node-sha256.js';
import { constantTimeEqual, type AwsStaticCredentials } from './sigv4-verify.js';

export type RdsTokenRejectReason =
  | 'malformed'
  | 'wrong-endpoint'
  | 'wrong-action'
  | 'wrong-user'
  | 'unknown-access-key'
  | 'wrong-scope'
  | 'expired'
  | 'not-yet-valid'
  | 'wrong-security-token'
  | 'bad-signature'
  | 'not-allowed';

export type RdsTokenVerdict = { ok: true } | { ok: false; reason: RdsTokenRejectReason; detail: string };

export interface RdsTokenExpectations {
  /** The endpoint and port the token must be signed for. */
  hostname: string;
  port: number;
  region: string;
  credentials: AwsStaticCredentials;
  /** The database user from the StartupMessage: DBUser must name it. */
  user: string;
  /** Users the identity may connect as (its rds-db:connect resources); every user when absent. */
  allowedUsers?: readonly string[];
  now: Date;
}

const SERVICE = 'rds-db';
const ALGORITHM = 'AWS4-HMAC-SHA256';
/** RDS tokens are valid for 15 minutes whatever X-Amz-Expires says; the signer always asks 900. */
const RDS_TOKEN_SECONDS = 900;
const CLOCK_SKEW_MS = 5 * 60_000;

export async function verifyRdsToken(token: string, expect: RdsTokenExpectations): Promise<RdsTokenVerdict> {
  const parsed = parseToken(token);
  if (!parsed) return reject('malformed', 'not a presigned rds-db URL');
  const { authority, query } = parsed;
  if (authority.toLowerCase() !== `${expect.hostname}:${expect.port}`.toLowerCase()) {
    return reject('wrong-endpoint', `signed for "${authority}", not ${expect.hostname}:${expect.port}`);
  }
  if (query.get('Action') !== 'connect') return reject('wrong-action', `Action=${query.get('Action') ?? '(none)'}`);
  if (query.get('X-Amz-Algorithm') !== ALGORITHM) return reject('malformed', 'unsupported algorithm');
  const credential = (query.get('X-Amz-Credential') ?? '').split('/');
  const amzDate = query.get('X-Amz-Date') ?? '';
  const signingDate = parseAmzDate(amzDate);
  const expiresText = query.get('X-Amz-Expires') ?? '';
  const signature = query.get('X-Amz-Signature') ?? '';
  if (credential.length !== 5 || !signingDate || !/^\d{1,7}$/.test(expiresText) || !/^[0-9a-f]{64}$/.test(signature)) {
    return reject('malformed', 'no valid credential, date, expiry or signature');
  }
  const [accessKeyId, scopeDate, scopeRegion, scopeService, terminator] = credential;
  if (accessKeyId !== expect.credentials.accessKeyId) return reject('unknown-access-key', `unknown access key ${accessKeyId}`);
  if (scopeService !== SERVICE || terminator !== 'aws4_request' || scopeRegion !== expect.region || scopeDate !== amzDate.slice(0, 8)) {
    return reject('wrong-scope', `scope ${credential.slice(1).join('/')}`);
  }
  const expiresIn = Number(expiresText);
  const lifetime = Math.min(expiresIn, RDS_TOKEN_SECONDS);
  if (expect.now.getTime() > signingDate.getTime() + lifetime * 1000) return reject('expired', `signed at ${amzDate}`);
  if (signingDate.getTime() > expect.now.getTime() + CLOCK_SKEW_MS) return reject('not-yet-valid', `signed at ${amzDate}`);
  if ((query.get('X-Amz-Security-Token') ?? undefined) !== expect.credentials.sessionToken) {
    return reject('wrong-security-token', 'security token does not match');
  }
  if (query.get('X-Amz-SignedHeaders') !== 'host') return reject('bad-signature', 'signed headers are not "host"');
  const expected = await presignedSignature(authority, query, signingDate, expiresIn, expect);
  if (!constantTimeEqual(expected, signature)) return reject('bad-signature', 'signature does not match');
  // Checked once the signature proves DBUser is what the caller signed.
  if (query.get('DBUser') !== expect.user) return reject('wrong-user', `DBUser=${query.get('DBUser')}, login user ${expect.user}`);
  if (expect.allowedUsers && !expect.allowedUsers.includes(expect.user)) {
    return reject('not-allowed', `no rds-db:connect for dbuser ${expect.user}`);
  }
  return { ok: true };
}

function reject(reason: RdsTokenRejectReason, detail: string): RdsTokenVerdict {
  return { ok: false, reason, detail };
}

async function presignedSignature(
  authority: string,
  query: Map<string, string>,
  signingDate: Date,
  expiresIn: number,
  expect: RdsTokenExpectations,
): Promise<string> {
  const signer = new SignatureV4({ service: SERVICE, region: expect.region, credentials: expect.credentials, sha256: NodeSha256 });
  const unsigned: Record<string, string> = {};
  for (const [key, value] of query) if (key !== 'X-Amz-Signature') unsigned[key] = value;
  const presigned = await signer.presign(
    { method: 'GET', protocol: 'https:', hostname: expect.hostname, port: expect.port, path: '/', query: unsigned, headers: { host: authority } },
    { signingDate, expiresIn },
  );
  const value = presigned.query?.['X-Amz-Signature'];
  return typeof value === 'string' ? value : '';
}

/** `<host>:<port>/?k=v&...`, parsed by hand so that nothing is normalised before re-signing. */
function parseToken(token: string): { authority: string; query: Map<string, string> } | null {
  const start = token.indexOf('/?');
  if (start <= 0 || token.includes('#')) return null;
  const authority = token.slice(0, start);
  if (!/^[A-Za-z0-9.-]+:\d{1,5}$/.test(authority)) return null;
  const query = new Map<string, string>();
  for (const pair of token.slice(start + 2).split('&')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return null;
    try {
      const key = decodeURIComponent(pair.slice(0, eq));
      if (query.has(key)) return null;
      query.set(key, decodeURIComponent(pair.slice(eq + 1)));
    } catch {
      return null;
    }
  }
  return { authority, query };
}

function parseAmzDate(text: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return null;
  const date = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
  return Number.isNaN(date.getTime()) ? null : date;
}
