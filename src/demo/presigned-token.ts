// Verifies an IAM authentication token (a SigV4 presigned URL without its scheme) by computing
// the signature again, as DSQL and RDS do: the demo's stand-in services check the token the proxy
// signs, so the demo runs the same signing path as production. Written from the SigV4
// specification with node:crypto only, so it shares no code with the SDK signers it checks.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface TokenRules {
  /** 'dsql' or 'rds-db'. */
  service: string;
  region: string;
  /** The host the token must name: `host` for DSQL, `host:port` for RDS. */
  authority: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The other query parameters the token must carry (Action, DBUser), exactly. */
  expected: Record<string, string>;
  /** Longest life accepted, in seconds (RDS: 900 whatever the token says). */
  maxLifetimeSeconds: number;
  now: Date;
}

export type TokenVerdict = { ok: true } | { ok: false; why: string };

/** SHA-256 of an empty body: presigned GET requests sign no payload. */
const EMPTY_PAYLOAD_HASH = createHash('sha256').update('').digest('hex');

export function verifyPresignedToken(token: string, rules: TokenRules): TokenVerdict {
  const start = token.indexOf('/?');
  if (start <= 0) return { ok: false, why: 'not a presigned URL' };
  const authority = token.slice(0, start);
  if (authority.toLowerCase() !== rules.authority.toLowerCase()) return { ok: false, why: `signed for ${authority}, not ${rules.authority}` };
  const query = new Map<string, string>();
  for (const pair of token.slice(start + 2).split('&')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return { ok: false, why: 'malformed query' };
    try {
      query.set(decodeURIComponent(pair.slice(0, eq)), decodeURIComponent(pair.slice(eq + 1)));
    } catch {
      return { ok: false, why: 'malformed query' };
    }
  }
  for (const [key, value] of Object.entries(rules.expected)) {
    if (query.get(key) !== value) return { ok: false, why: `${key} is ${query.get(key) ?? 'missing'}, expected ${value}` };
  }
  if (query.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256' || query.get('X-Amz-SignedHeaders') !== 'host') {
    return { ok: false, why: 'unsupported algorithm or signed headers' };
  }
  const amzDate = query.get('X-Amz-Date') ?? '';
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!m) return { ok: false, why: 'bad X-Amz-Date' };
  const signedAt = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  const lifetime = Math.min(Number(query.get('X-Amz-Expires') ?? 0), rules.maxLifetimeSeconds);
  if (!(lifetime > 0) || rules.now.getTime() > signedAt + lifetime * 1000) return { ok: false, why: 'token expired' };
  const scope = `${amzDate.slice(0, 8)}/${rules.region}/${rules.service}/aws4_request`;
  if (query.get('X-Amz-Credential') !== `${rules.accessKeyId}/${scope}`) return { ok: false, why: 'wrong credential or scope' };

  const canonicalQuery = [...query]
    .filter(([key]) => key !== 'X-Amz-Signature')
    .map(([key, value]) => [uriEncode(key), uriEncode(value)])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  const canonicalRequest = ['GET', '/', canonicalQuery, `host:${authority}\n`, 'host', EMPTY_PAYLOAD_HASH].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  let key: Buffer = hmac(`AWS4${rules.secretAccessKey}`, amzDate.slice(0, 8));
  for (const part of [rules.region, rules.service, 'aws4_request']) key = hmac(key, part);
  const expected = Buffer.from(createHmac('sha256', key).update(stringToSign).digest('hex'));
  const given = Buffer.from(query.get('X-Amz-Signature') ?? '');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, why: 'signature does not match' };
  return { ok: true };
}

/** RFC 3986 encoding as SigV4 wants it: everything but unreserved characters. */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
