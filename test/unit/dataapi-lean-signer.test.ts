// The lean SigV4 signer (src/dataapi/client/lean-signer.ts) against @smithy/signature-v4's
// SignatureV4.sign, the signer the AWS SDK uses: on the same request, credentials, date, region
// and service, the headers each produces (names, order, values: the authorization above all) must
// be identical. The emulator does not verify signatures, so this is the proof that the proxy's
// requests are signed as the SDK would sign them.
import { describe, expect, it, vi } from 'vitest';
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { SignatureV4 } from '@smithy/signature-v4';
import { LeanSigner, canonicalPath, leanSignerFor, type SignableRequest } from '../../src/dataapi/client/lean-signer.js';

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** The SHA-256 constructor the SDK client's signer is configured with. */
const SDK_SHA256 = (() => {
  const sdk = new RDSDataClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  const sha256 = (sdk.config as unknown as { sha256: unknown }).sha256;
  sdk.destroy();
  return sha256;
})();

interface Case {
  request: SignableRequest;
  credentials: Credentials;
  date: Date;
  region: string;
  service: string;
  uriEscapePath?: boolean;
  applyChecksum?: boolean;
}

/** What @smithy/signature-v4 makes of the case: the signed request's headers. */
async function smithyHeaders(c: Case): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    credentials: c.credentials,
    region: 'ignored-1',
    service: 'ignored',
    sha256: SDK_SHA256 as never,
    uriEscapePath: c.uriEscapePath ?? true,
    applyChecksum: c.applyChecksum ?? true,
  });
  const signed = await signer.sign(
    { method: c.request.method, protocol: 'https:', hostname: 'h', path: c.request.path, query: {}, headers: { ...c.request.headers }, body: c.request.body },
    { signingDate: c.date, signingRegion: c.region, signingService: c.service },
  );
  return (signed as unknown as { headers: Record<string, string> }).headers;
}

function leanHeaders(c: Case, signer = new LeanSigner({ uriEscapePath: c.uriEscapePath ?? true, applyChecksum: c.applyChecksum ?? true })) {
  const request = { ...c.request, headers: { ...c.request.headers } };
  return signer.sign(request, c.credentials, c.date, c.region, c.service);
}

async function expectSame(c: Case, signer?: LeanSigner): Promise<void> {
  const expected = await smithyHeaders(c);
  const actual = leanHeaders(c, signer);
  expect(actual, JSON.stringify(c)).toEqual(expected);
  expect(Object.keys(actual!), JSON.stringify(c)).toEqual(Object.keys(expected));
}

const CREDENTIALS: Credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const WITH_TOKEN: Credentials = { ...CREDENTIALS, sessionToken: 'IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ==' };

function executeRequest(body: string, path = '/Execute', host = '127.0.0.1:8080'): SignableRequest {
  return {
    method: 'POST',
    path,
    headers: {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'x-amz-user-agent': 'aws-sdk-js/3.1143.0',
      'user-agent': 'aws-sdk-js/3.1143.0 ua/2.1 os/linux#6.1 lang/js md/nodejs#20.20.2 api/rds-data#3.1143.0',
      host,
      'amz-sdk-invocation-id': '3f1f8a5e-8a2c-4d0b-9d55-0c9a1b2c3d4e',
      'amz-sdk-request': 'attempt=1; max=1',
    },
    body,
  };
}

const BODIES: Record<string, string> = {
  empty: '',
  'select 1': '{"database":"postgres","resourceArn":"arn:aws:rds:us-east-1:123456789012:cluster:c","secretArn":"arn:aws:secretsmanager:us-east-1:123456789012:secret:s","sql":"select 1"}',
  unicode: '{"sql":"select \'grüße, 東京, €, \u{1F600}\'"}',
  'a lone surrogate': '{"sql":"select \'\uD800\'"}',
  'escapes and newlines': '{"sql":"select \'a\\nb\\t\\"c\\"\'\\n  from t"}',
  'a large body': JSON.stringify({ sql: 'insert into t values (:a)', parameters: [{ name: 'a', value: { stringValue: 'x'.repeat(200_000) } }] }),
};

const DATES = [
  new Date('2026-03-04T05:06:07Z'),
  new Date('2026-12-31T23:59:59.999Z'), // the last millisecond of a day (and a year)
  new Date('2027-01-01T00:00:00.000Z'), // the first of the next
  new Date('2028-02-29T12:00:00.500Z'),
  new Date('1999-12-31T23:59:59.000Z'),
];

describe('lean SigV4 signer', () => {
  for (const [title, body] of Object.entries(BODIES)) {
    it(`signs as @smithy/signature-v4 does: body ${title}, with and without a session token`, async () => {
      for (const credentials of [CREDENTIALS, WITH_TOKEN]) {
        await expectSame({ request: executeRequest(body), credentials, date: DATES[0]!, region: 'us-east-1', service: 'rds-data' });
      }
    });
  }

  it('signs a body assembled as bytes (a COPY chunk spliced in) as @smithy/signature-v4 signs the same bytes', async () => {
    for (const body of [BODIES.unicode!, BODIES['a large body']!]) {
      for (const credentials of [CREDENTIALS, WITH_TOKEN]) {
        const request = { ...executeRequest(body), body: Buffer.from(body, 'utf8') };
        await expectSame({ request, credentials, date: DATES[1]!, region: 'us-east-1', service: 'rds-data' });
      }
    }
  });

  it('signs as @smithy/signature-v4 does across midnight UTC, with one signer keeping its key between calls', async () => {
    const signer = new LeanSigner({ uriEscapePath: true, applyChecksum: true });
    for (const date of [...DATES, ...DATES.slice().reverse()]) {
      for (const credentials of [CREDENTIALS, WITH_TOKEN, { accessKeyId: 'AKIDOTHER', secretAccessKey: 'other' }]) {
        await expectSame({ request: executeRequest(BODIES['select 1']!), credentials, date, region: 'eu-west-1', service: 'rds-data' }, signer);
      }
    }
  });

  it('derives a new key when the credentials, region or service change under the same signer', async () => {
    const signer = new LeanSigner({ uriEscapePath: true, applyChecksum: true });
    const base: Case = { request: executeRequest('{}'), credentials: CREDENTIALS, date: DATES[0]!, region: 'us-east-1', service: 'rds-data' };
    const variants: Case[] = [
      base,
      { ...base, credentials: { ...CREDENTIALS, secretAccessKey: 'rotated' } },
      { ...base, credentials: { ...CREDENTIALS, accessKeyId: 'AKIDROTATED' } },
      { ...base, region: 'ap-southeast-2' },
      { ...base, service: 'other-service' },
      base,
    ];
    for (const c of variants) await expectSame(c, signer);
  });

  it('signs custom endpoints as @smithy/signature-v4 does: paths, ports, odd characters', async () => {
    const paths = ['/Execute', '/prefix/Execute', '/a/b/c/Execute', '/a%20b/Execute', "/x!'()*~/Execute", '/x/../Execute', '/./Execute', '//Execute', '/prefix/', '/', '/caf%C3%A9/Execute'];
    const hosts = ['127.0.0.1:8080', 'rds-data.us-east-1.amazonaws.com', 'data.example.test:8443', '[::1]:9000'];
    for (const path of paths) {
      for (const host of hosts) {
        for (const uriEscapePath of [true, false]) {
          await expectSame({ request: executeRequest('{"sql":"select 1"}', path, host), credentials: WITH_TOKEN, date: DATES[1]!, region: 'us-east-1', service: 'rds-data', uriEscapePath });
        }
      }
    }
  });

  it('canonicalizes header values and leaves unsignable headers out as @smithy/signature-v4 does', async () => {
    const request = executeRequest('{}');
    request.headers['x-custom'] = '  several   spaces\tand\ttabs  ';
    request.headers['x-lines'] = 'one\r\ntwo\nthree';
    request.headers['x-empty'] = '';
    request.headers['proxy-authorization'] = 'secret';
    request.headers['sec-fetch-mode'] = 'cors';
    request.headers['x-amzn-trace-id'] = 'Root=1-abc';
    request.headers.connection = 'keep-alive';
    request.headers.expect = '100-continue';
    for (const applyChecksum of [true, false]) {
      await expectSame({ request, credentials: WITH_TOKEN, date: DATES[2]!, region: 'us-west-2', service: 'rds-data', applyChecksum });
    }
  });

  it('signs many generated requests as @smithy/signature-v4 does', async () => {
    // A fixed-seed generator: the same 300 requests on every run.
    let seed = 0x2545f491;
    const next = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const pick = <T>(xs: readonly T[]): T => xs[next(xs.length)]!;
    const alphabet = ['a', 'Z', '0', ' ', '  ', '\t', '"', '\\', 'é', '€', '\u{1F680}', "'", '/', '+', '=', '\n'];
    const text = (max: number) => Array.from({ length: next(max) }, () => pick(alphabet)).join('');
    const signer = new LeanSigner({ uriEscapePath: true, applyChecksum: true });
    for (let i = 0; i < 300; i++) {
      const request = executeRequest(JSON.stringify({ sql: text(80) }), pick(['/Execute', '/p/Execute', '/p q/Execute']), pick(['localhost:1', 'h.example']));
      if (next(3) === 0) request.headers[`x-extra-${next(5)}`] = text(12);
      const credentials: Credentials = {
        accessKeyId: pick(['AKIDA', 'AKIDB']),
        secretAccessKey: pick(['s1', 's2/+=']),
        ...(next(2) === 0 ? { sessionToken: pick(['t1', 't2', '']) } : {}),
      };
      const date = new Date(Date.UTC(2026, next(12), 1 + next(28), next(24), next(60), next(60), next(1000)));
      await expectSame({ request, credentials, date, region: pick(['us-east-1', 'eu-central-1']), service: 'rds-data' }, signer);
    }
  });

  it('leaves what it was not written for to the SDK signer, headers untouched', () => {
    const signer = new LeanSigner({ uriEscapePath: true, applyChecksum: true });
    const date = DATES[0]!;
    const unusual: [string, SignableRequest, unknown][] = [
      ['no access key id', executeRequest('{}'), { secretAccessKey: 's' }],
      ['an empty access key id', executeRequest('{}'), { accessKeyId: '', secretAccessKey: 's' }],
      ['no secret', executeRequest('{}'), { accessKeyId: 'a' }],
      ['a session token that is not a string', executeRequest('{}'), { ...CREDENTIALS, sessionToken: 42 }],
      ['no credentials', executeRequest('{}'), undefined],
      ['an upper-case header name', { ...executeRequest('{}'), headers: { ...executeRequest('{}').headers, 'X-Custom': 'v' } }, CREDENTIALS],
      ['a date header already there', { ...executeRequest('{}'), headers: { ...executeRequest('{}').headers, 'x-amz-date': '20200101T000000Z' } }, CREDENTIALS],
      ['a payload hash already there', { ...executeRequest('{}'), headers: { ...executeRequest('{}').headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }, CREDENTIALS],
      ['a header value that is not a string', { ...executeRequest('{}'), headers: { ...executeRequest('{}').headers, 'x-n': 1 as never } }, CREDENTIALS],
      ['a body that is neither text nor bytes', { ...executeRequest('{}'), body: { pipe() {} } as never }, CREDENTIALS],
    ];
    for (const [title, request, credentials] of unusual) {
      const before = { ...request.headers };
      expect(signer.sign(request, credentials, date, 'us-east-1', 'rds-data'), title).toBeNull();
      expect(request.headers, title).toEqual(before);
    }
    expect(signer.sign(executeRequest('{}'), CREDENTIALS, new Date('+012345-01-01T00:00:00Z'), 'us-east-1', 'rds-data')).toBeNull();
  });

  it('computes the canonical path as SigV4 defines it', () => {
    expect(canonicalPath('/a b/./c/../Execute', true)).toBe('/a%20b/Execute');
    // A path already percent-encoded (as a URL's is) is encoded again: every service but S3 wants that.
    expect(canonicalPath('/a%20b//Execute/', true)).toBe('/a%2520b/Execute/');
    expect(canonicalPath('/a b/', false)).toBe('/a b/');
    expect(canonicalPath("/x!'()*", true)).toBe('/x%21%27%28%29%2A');
  });
});

describe('leanSignerFor', () => {
  it("is available for the SDK client's own signer, and signs as it does", async () => {
    const sdk = new RDSDataClient({ region: 'eu-west-1', endpoint: 'http://127.0.0.1:8080/prefix', credentials: WITH_TOKEN });
    try {
      const sdkSigner = await sdk.config.signer();
      const lean = await leanSignerFor(sdkSigner as SignatureV4, '/prefix/Execute', 'eu-west-1', 'rds-data');
      expect(lean).toBeInstanceOf(LeanSigner);
      const request = executeRequest(BODIES.unicode!, '/prefix/Execute');
      const expected = await sdkSigner.sign({ ...request, headers: { ...request.headers }, protocol: 'http:', hostname: '127.0.0.1', port: 8080, query: {} } as never, {
        signingDate: DATES[1]!,
        signingRegion: 'eu-west-1',
        signingService: 'rds-data',
      });
      expect(lean!.sign({ ...request, headers: { ...request.headers } }, await sdk.config.credentials(), DATES[1]!, 'eu-west-1', 'rds-data')).toEqual(
        (expected as unknown as { headers: unknown }).headers,
      );
    } finally {
      sdk.destroy();
    }
  });

  it('is not available for a signer that signs otherwise, or of another shape', async () => {
    // A signer class of its own that adds a header: the run-time probe must notice.
    class Different extends SignatureV4 {}
    const sdkSign = SignatureV4.prototype.sign as (this: SignatureV4, ...args: unknown[]) => Promise<{ headers: Record<string, string> }>;
    Object.defineProperty(Different.prototype, 'sign', {
      value: async function (this: SignatureV4, ...args: unknown[]) {
        const signed = await sdkSign.apply(this, args);
        signed.headers['x-extra'] = '1';
        return signed;
      },
    });
    const options = { credentials: CREDENTIALS, region: 'us-east-1', service: 'rds-data', sha256: SDK_SHA256 as never };
    expect(await leanSignerFor(new Different(options), '/Execute', 'us-east-1', 'rds-data')).toBeNull();
    const noChecksumFlag = new SignatureV4(options);
    Object.defineProperty(noChecksumFlag, 'applyChecksum', { value: undefined });
    expect(await leanSignerFor(noChecksumFlag, '/Execute', 'us-east-1', 'rds-data')).toBeNull();
    const failing = new SignatureV4(options);
    vi.spyOn(SignatureV4.prototype, 'sign').mockRejectedValueOnce(new Error('no'));
    expect(await leanSignerFor(failing, '/Execute', 'us-east-1', 'rds-data')).toBeNull();
    vi.restoreAllMocks();
  });
});
