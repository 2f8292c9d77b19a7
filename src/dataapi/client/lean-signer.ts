// AWS Signature Version 4 for the lean ExecuteStatement path (lean-execute.ts), without the
// per-call cost of @smithy/signature-v4: that signer clones the request, re-derives a hash of
// the credentials on every call to look up its key cache, converts every string to bytes
// through its own helpers and awaits a promise per hash. A profile of the proxy serving
// `select 1` put about 0.11 ms of CPU per call there. Here:
//
// - the signing key (four chained HMACs) is derived once per date, region, service and
//   credentials, and kept until one of them changes;
// - the canonical path of the fixed endpoint path is computed once;
// - the payload and canonical request are hashed with node:crypto directly.
//
// What it signs must be byte-identical to what the SDK's signer makes of the same request
// (test/unit/dataapi-lean-signer.test.ts proves it on many requests), and `leanSignerFor` checks
// it once more at run time against the SDK client's own signer before it is used. Anything this
// signer was not written for (credentials without an access key id, a header it would have to
// drop or that it would generate itself, a body that is neither text nor bytes) makes `sign` return null, and the
// caller signs with the SDK's signer instead.
import crypto, { createHash, createHmac } from 'node:crypto';
import type { SignatureV4 } from '@smithy/signature-v4';

export interface SignableRequest {
  method: string;
  /** The HTTP path (no query string: the lean path sends none). */
  path: string;
  /** Lower-case names; the signature headers are appended to this object. */
  headers: Record<string, string>;
  /** Text, or the UTF-8 bytes of a body assembled as bytes (a COPY chunk spliced in). */
  body: string | Buffer;
}

interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const SCOPE_TERMINATOR = 'aws4_request';

/** Headers SigV4 never signs (proxies and clients may change them on the way). */
const UNSIGNED_HEADERS = new Set([
  'authorization',
  'cache-control',
  'connection',
  'expect',
  'from',
  'keep-alive',
  'max-forwards',
  'pragma',
  'referer',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'x-amzn-trace-id',
]);

/** Headers the signer writes itself: a request that already carries one is left to the SDK. */
const GENERATED_HEADERS = new Set(['authorization', 'x-amz-date', 'date', 'x-amz-content-sha256', 'x-amz-security-token']);

/** RFC 3986 percent-encoding as SigV4 wants it: encodeURIComponent, plus the five characters it leaves alone. */
function uriEscape(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The canonical URI: `.` and `..` segments resolved, empty segments dropped, each segment encoded again. */
export function canonicalPath(path: string, uriEscapePath: boolean): string {
  if (!uriEscapePath) return path;
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const leading = path.startsWith('/') ? '/' : '';
  const trailing = segments.length > 0 && path.endsWith('/') ? '/' : '';
  return uriEscape(`${leading}${segments.join('/')}${trailing}`).replace(/%2F/g, '/');
}

/** A header value as SigV4 canonicalizes it: line breaks become spaces, runs of blanks one space, ends trimmed of one space. */
function canonicalValue(value: string): string {
  if (!/[\r\n\t]| {2}|^ | $/.test(value)) return value;
  return value.replace(/[\r\n]/g, ' ').replace(/[ \t]+/g, ' ').replace(/^ | $/g, '');
}

/** `YYYYMMDDTHHMMSSZ` of `date` (UTC, seconds). */
function longDateOf(date: Date): string | null {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ, or a six-digit year outside 0-9999
  if (iso.length !== 24) return null;
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
}

/** Hex SHA-256 of UTF-8 text or of bytes: node's one-shot hash where it has one (Node >= 20.12), half the cost of a Hash object. */
const sha256Hex: (data: string | Buffer) => string =
  typeof (crypto as { hash?: unknown }).hash === 'function'
    ? (data) => crypto.hash('sha256', data, 'hex')
    : (data) => (typeof data === 'string' ? createHash('sha256').update(data, 'utf8') : createHash('sha256').update(data)).digest('hex');

function isSigningCredentials(value: unknown): value is SigningCredentials {
  if (value === null || typeof value !== 'object') return false;
  const c = value as Record<string, unknown>;
  return (
    typeof c.accessKeyId === 'string' &&
    c.accessKeyId.length > 0 &&
    typeof c.secretAccessKey === 'string' &&
    c.secretAccessKey.length > 0 &&
    (c.sessionToken === undefined || typeof c.sessionToken === 'string')
  );
}

interface CachedKey {
  shortDate: string;
  region: string;
  service: string;
  accessKeyId: string;
  secretAccessKey: string;
  key: Buffer;
}

export interface LeanSignerOptions {
  /** The SDK signer's `uriEscapePath` (true for every service but S3). */
  uriEscapePath: boolean;
  /** The SDK signer's `applyChecksum`: whether x-amz-content-sha256 is sent. */
  applyChecksum: boolean;
}

export class LeanSigner {
  private cachedKey: CachedKey | null = null;
  private lastPath: { path: string; canonical: string } | null = null;

  constructor(private readonly options: LeanSignerOptions) {}

  /**
   * Signs `request` for `credentials` at `date`: appends x-amz-date, x-amz-security-token (when
   * the credentials have one), x-amz-content-sha256 (when the SDK's signer would) and
   * authorization to `request.headers`, in the SDK signer's order, and returns those headers.
   * Null when the request or credentials are not what this signer was written for; the headers
   * are then untouched.
   */
  sign(request: SignableRequest, credentials: unknown, date: Date, region: string, service: string): Record<string, string> | null {
    if (!isSigningCredentials(credentials) || (typeof request.body !== 'string' && !Buffer.isBuffer(request.body))) return null;
    const headers = request.headers;
    for (const name in headers) {
      if (!Object.hasOwn(headers, name)) continue;
      if (typeof headers[name] !== 'string' || GENERATED_HEADERS.has(name) || name !== name.toLowerCase()) return null;
    }
    const longDate = longDateOf(date);
    if (longDate === null) return null;
    const path = this.canonicalPathOf(request.path);
    if (path === null) return null;
    const shortDate = longDate.slice(0, 8);
    const scope = `${shortDate}/${region}/${service}/${SCOPE_TERMINATOR}`;
    const payloadHash = sha256Hex(request.body);

    headers['x-amz-date'] = longDate;
    if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
    if (this.options.applyChecksum) headers['x-amz-content-sha256'] = payloadHash;

    const names = Object.keys(headers)
      .filter((name) => !UNSIGNED_HEADERS.has(name) && !name.startsWith('proxy-') && !name.startsWith('sec-'))
      .sort();
    let canonicalHeaders = '';
    for (const name of names) canonicalHeaders += `${name}:${canonicalValue(headers[name]!)}\n`;
    const signedHeaders = names.join(';');
    // The query string is empty: the lean path sends none.
    const canonicalRequest = `${request.method}\n${path}\n\n${canonicalHeaders}\n${signedHeaders}\n${payloadHash}`;
    const stringToSign = `${ALGORITHM}\n${longDate}\n${scope}\n${sha256Hex(canonicalRequest)}`;
    const signature = createHmac('sha256', this.signingKey(credentials, shortDate, region, service)).update(stringToSign, 'utf8').digest('hex');
    headers.authorization = `${ALGORITHM} Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return headers;
  }

  private canonicalPathOf(path: string): string | null {
    if (this.lastPath?.path === path) return this.lastPath.canonical;
    let canonical: string;
    try {
      canonical = canonicalPath(path, this.options.uriEscapePath);
    } catch {
      return null; // a lone surrogate: encodeURIComponent refuses it
    }
    this.lastPath = { path, canonical };
    return canonical;
  }

  /** kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"), kept while its inputs stay. */
  private signingKey(credentials: SigningCredentials, shortDate: string, region: string, service: string): Buffer {
    const cached = this.cachedKey;
    if (
      cached !== null &&
      cached.shortDate === shortDate &&
      cached.region === region &&
      cached.service === service &&
      cached.accessKeyId === credentials.accessKeyId &&
      cached.secretAccessKey === credentials.secretAccessKey
    ) {
      return cached.key;
    }
    let key: Buffer = Buffer.from(`AWS4${credentials.secretAccessKey}`, 'utf8');
    for (const part of [shortDate, region, service, SCOPE_TERMINATOR]) key = createHmac('sha256', key).update(part, 'utf8').digest();
    this.cachedKey = { shortDate, region, service, accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, key };
    return key;
  }
}

interface SdkSignerShape {
  applyChecksum?: unknown;
  uriEscapePath?: unknown;
  sha256?: unknown;
  constructor: new (options: Record<string, unknown>) => SignatureV4;
}

/** Fixed inputs for the run-time check: a request shaped like the lean path's, with awkward values. */
const PROBE_CREDENTIALS = { accessKeyId: 'AKIDLEANSIGNERPROBE', secretAccessKey: 'probe/secret+key', sessionToken: 'probe-session-token' };
const PROBE_DATE = new Date('2024-02-29T23:59:59.999Z');

/**
 * A lean signer for `sdkSigner` (the SDK client's own SigV4 signer), or null when the SDK signer
 * is of another kind or does not sign a probe request exactly as the lean signer does (a future
 * SDK that signs differently keeps its own, slower signer rather than sending bad signatures).
 */
export async function leanSignerFor(sdkSigner: SignatureV4, path: string, region: string, service: string): Promise<LeanSigner | null> {
  const shape = sdkSigner as unknown as SdkSignerShape;
  if (typeof shape.applyChecksum !== 'boolean' || typeof shape.uriEscapePath !== 'boolean' || typeof shape.sha256 !== 'function') return null;
  const options = { applyChecksum: shape.applyChecksum, uriEscapePath: shape.uriEscapePath };
  try {
    const reference = new shape.constructor({ credentials: PROBE_CREDENTIALS, region, service, sha256: shape.sha256, ...options });
    const probe = (): SignableRequest => ({
      method: 'POST',
      path,
      headers: {
        'content-type': 'application/json',
        'content-length': '27',
        'x-amz-user-agent': 'aws-sdk-js/3  probe\t',
        'user-agent': 'probe',
        host: 'probe.example:8443',
        'amz-sdk-invocation-id': '00000000-0000-4000-8000-000000000000',
      },
      body: '{"sql":"select \'ä\' -- €"}',
    });
    const expected = (await reference.sign(
      { ...probe(), protocol: 'https:', hostname: 'probe.example', port: 8443, query: {} } as never,
      { signingDate: PROBE_DATE, signingRegion: region, signingService: service },
    )) as unknown as { headers: Record<string, string> };
    const actual = new LeanSigner(options).sign(probe(), PROBE_CREDENTIALS, PROBE_DATE, region, service);
    if (actual === null || JSON.stringify(actual) !== JSON.stringify(expected.headers)) return null;
    return new LeanSigner(options); // not the probe's: it holds the probe's signing key
  } catch {
    return null;
  }
}
