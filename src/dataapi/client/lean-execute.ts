// ExecuteStatement, the proxy's hot call, without the SDK's middleware stack. A profile of the
// proxy serving `select 1` put about a third of its busy CPU in that stack (retry bookkeeping,
// endpoint resolution per call, schema-driven serialization, a new SigV4 signer per call, user
// agent assembly). Here the request is built once per call from fixed parts:
//
// - the body is the JSON the SDK writes (its member order, blobs as base64); a request holding
//   anything the SDK would write differently (nulls, non-finite doubles, unknown members) is
//   not built here, and the caller sends it through the SDK instead;
// - the endpoint and user agent are resolved once, through the SDK client's own config;
// - it is signed by the lean SigV4 signer (lean-signer.ts: byte-identical to the SDK client's
//   own signer, checked against it once at start), with credentials from the SDK client's own
//   provider (its caching and refresh) and the SDK's clock-skew correction; whatever the lean
//   signer was not written for is signed by the SDK client's signer (config.signer);
// - it is sent by the SDK client's own HTTP handler: the same agents (transport.ts: keep-alive
//   cap, delivery tracking), the same connect / request / socket timeouts, so a failure is the
//   same error, classified the same way (transportFailureOf);
// - the response goes to the SDK client's own protocol object: a 2xx body to the lean decoder
//   hooked there (lean-protocol.ts, exact longs included), an error response to the SDK's
//   restJson1 error parser, so a service error is the SDK's own exception class with its name,
//   message, $fault and $metadata (service-errors.ts maps it).
//
// It is written for the client DataApiClient builds (maxAttempts 1: the SDK retries nothing, so
// one attempt here is the SDK's behaviour too; no logger).
import { ExecuteStatement$, type ExecuteStatementCommandInput, type ExecuteStatementCommandOutput, type RDSDataClient } from '@aws-sdk/client-rds-data';
import type { SignatureV4 } from '@smithy/signature-v4';
import type { HttpRequest as HttpRequestShape } from '@smithy/types';
import { serializeExecuteStatement } from './lean-serialize.js';
import { leanSignerFor, type LeanSigner } from './lean-signer.js';

interface HttpResponseLike {
  statusCode: number;
  headers: Record<string, string>;
  body?: unknown;
}

interface HandlerLike {
  handle(request: HttpRequestShape, options?: Record<string, unknown>): Promise<{ response: HttpResponseLike }>;
}

interface ProtocolLike {
  deserializeResponse(operationSchema: unknown, context: unknown, response: HttpResponseLike): Promise<Record<string, unknown>>;
}

/** The parts of the SDK client's resolved config used here. */
interface SdkConfig {
  region: () => Promise<string>;
  useFipsEndpoint: () => Promise<boolean>;
  useDualstackEndpoint: () => Promise<boolean>;
  endpointProvider: (params: Record<string, unknown>, context?: unknown) => { url: URL };
  isCustomEndpoint?: boolean;
  defaultUserAgentProvider: () => Promise<[string, string?][]>;
  customUserAgent?: [string, string?][];
  userAgentAppId?: () => Promise<string | undefined>;
  signer: (authScheme?: unknown) => Promise<SignatureV4>;
  signingName?: string;
  defaultSigningName?: string;
  systemClockOffset: number;
  disableClockSkewCorrection?: () => Promise<boolean>;
  protocol: ProtocolLike;
  requestHandler: HandlerLike;
}

/** The SDK's operation schema object for ExecuteStatement (what its middleware builds from ExecuteStatement$). */
const [, EXECUTE_NAMESPACE, EXECUTE_NAME, EXECUTE_TRAITS, EXECUTE_INPUT, EXECUTE_OUTPUT] = ExecuteStatement$ as unknown as unknown[];
const EXECUTE_OPERATION = { name: EXECUTE_NAME, namespace: EXECUTE_NAMESPACE, traits: EXECUTE_TRAITS, input: EXECUTE_INPUT, output: EXECUTE_OUTPUT };

/** The SDK's skew-sampling rule: the server's Date, unless the answer came from a cache or took over 15 minutes. */
function updatedClockOffset(date: string, current: number, sentAt: number, age: string | undefined): number {
  if (age !== undefined) return current;
  const serverTime = Date.parse(date);
  if (Number.isNaN(serverTime)) return current;
  const now = Date.now();
  if (now - sentAt > 900_000) return current;
  return serverTime - now;
}

/** A user-agent pair as the SDK's user-agent middleware writes it: `name/version`, or `prefix/name#version`. */
function userAgentPart([rawName, rawVersion]: [string, string?]): string {
  const name = rawName
    .split('/')
    .map((part) => part.replace(/[^!$%&'*+\-.^_`|~\w]/g, '-'))
    .join('/');
  const version = rawVersion?.replace(/[^!$%&'*+\-.^_`|~\w#]/g, '-');
  const slash = name.indexOf('/');
  const prefix = name.substring(0, slash);
  let uaName = name.substring(slash + 1);
  if (prefix === 'api') uaName = uaName.toLowerCase();
  const items = [prefix, uaName, version].filter((item): item is string => item !== undefined && item.length > 0);
  return items.reduce((acc, item, i) => (i === 0 ? item : i === 1 ? `${acc}/${item}` : `${acc}#${item}`), '');
}

/** The SDK's look-up of a response header for a failure it could not parse. */
function findHeader(pattern: RegExp, headers: Record<string, string>): string | undefined {
  for (const [name, value] of Object.entries(headers)) if (pattern.test(name)) return value;
  return undefined;
}

interface FixedParts {
  protocol: string;
  hostname: string;
  port: number | undefined;
  path: string;
  host: string;
  userAgent: string;
  xAmzUserAgent: string;
  signer: SignatureV4;
  /** Null when the SDK's signer is not one the lean signer reproduces exactly. */
  leanSigner: LeanSigner | null;
  signingRegion: string;
  signingService: string;
  skewCorrection: boolean;
  context: Record<string, unknown>;
}

export class LeanExecute {
  private fixed: Promise<FixedParts> | null = null;
  /** `fixed` once resolved: later calls skip a promise turn. */
  private resolved: FixedParts | null = null;

  private constructor(
    private readonly sdk: RDSDataClient,
    private readonly config: SdkConfig,
  ) {}

  /**
   * The lean path for `sdk`, or null when the client's shape is not the one this was written
   * for, or inside AWS Lambda, where the SDK adds the invocation's trace headers (its recursion
   * detection middleware) that this path does not.
   */
  static for(sdk: RDSDataClient): LeanExecute | null {
    if (process.env.AWS_LAMBDA_FUNCTION_NAME) return null;
    const config = sdk.config as unknown as SdkConfig;
    const ok =
      typeof config.signer === 'function' &&
      typeof config.endpointProvider === 'function' &&
      typeof config.defaultUserAgentProvider === 'function' &&
      typeof config.protocol?.deserializeResponse === 'function' &&
      typeof config.requestHandler?.handle === 'function' &&
      Array.isArray(ExecuteStatement$);
    return ok ? new LeanExecute(sdk, config) : null;
  }

  /**
   * Sends one ExecuteStatement; null (nothing sent) when the body holds something only the SDK
   * serializes, and the caller should send it through the SDK.
   */
  send(input: ExecuteStatementCommandInput): Promise<ExecuteStatementCommandOutput> | null {
    const body = serializeExecuteStatement(input);
    if (body === null) return null;
    return this.sendBody(body);
  }

  /** What never changes between calls, resolved once (as the SDK resolves it on every call). */
  private resolveFixed(): Promise<FixedParts> {
    this.fixed ??= (async () => {
      const config = this.config;
      const region = await config.region();
      const target = (this.sdk.config as { endpoint?: () => Promise<unknown> }).endpoint;
      let customEndpoint: string | undefined;
      if (config.isCustomEndpoint && typeof target === 'function') {
        const ep = (await target()) as { protocol: string; hostname: string; port?: number | string; path?: string };
        customEndpoint = `${ep.protocol}//${ep.hostname}${ep.port ? `:${ep.port}` : ''}${ep.path ?? ''}`;
      }
      const { url } = config.endpointProvider({
        Region: region,
        UseFIPS: await config.useFipsEndpoint(),
        UseDualStack: await config.useDualstackEndpoint(),
        Endpoint: customEndpoint,
      });
      const port = url.port ? Number(url.port) : undefined;
      const path = url.pathname === '/' ? '/Execute' : `${url.pathname}/Execute`;
      const parts = (await config.defaultUserAgentProvider()).map(userAgentPart);
      const custom = (config.customUserAgent ?? []).map(userAgentPart);
      const appId = await config.userAgentAppId?.();
      if (appId) parts.push(userAgentPart(['app', appId]));
      const signer = await config.signer();
      const signingService = config.signingName ?? config.defaultSigningName ?? 'rds-data';
      return {
        protocol: url.protocol,
        hostname: url.hostname,
        port,
        path,
        host: port !== undefined ? `${url.hostname}:${port}` : url.hostname,
        // The SDK adds an `m/` section listing the features a call used (telemetry only).
        userAgent: [...parts, ...custom].join(' '),
        xAmzUserAgent: [...parts.filter((p) => p.startsWith('aws-sdk-')), ...custom].join(' '),
        signer,
        leanSigner: await leanSignerFor(signer, path, region, signingService),
        signingRegion: region,
        signingService,
        skewCorrection: (await config.disableClockSkewCorrection?.()) !== true,
        // The SDK hands its protocol `{...config, ...context}`; the config part is what it reads.
        context: { ...(this.sdk.config as object) },
      };
    })();
    this.fixed.then(
      (parts) => (this.resolved = parts),
      () => (this.fixed = null),
    );
    return this.fixed;
  }

  private async sendBody(body: string | Buffer): Promise<ExecuteStatementCommandOutput> {
    // As in the SDK, where endpoint and identity are resolved before its retry middleware: their
    // failures (no credentials) carry no retry stamp. The signer asks the same memoized provider.
    const fixed = this.resolved ?? (await this.resolveFixed());
    const credentials = await (this.sdk.config.credentials as () => Promise<unknown>)();
    try {
      const request: HttpRequestShape = {
        method: 'POST',
        protocol: fixed.protocol,
        hostname: fixed.hostname,
        port: fixed.port,
        path: fixed.path,
        query: {},
        headers: {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'x-amz-user-agent': fixed.xAmzUserAgent,
          'user-agent': fixed.userAgent,
          host: fixed.host,
          // The SDK's own source of invocation ids (the global Web Crypto).
          'amz-sdk-invocation-id': globalThis.crypto.randomUUID(),
          'amz-sdk-request': 'attempt=1; max=1',
        },
        body,
      };
      const config = this.config;
      const offsetBefore = config.systemClockOffset;
      const signingDate = fixed.skewCorrection ? new Date(Date.now() + config.systemClockOffset) : new Date();
      const leanSigned = fixed.leanSigner?.sign(request as typeof request & { body: string | Buffer }, credentials, signingDate, fixed.signingRegion, fixed.signingService);
      const signed = leanSigned
        ? request
        : ((await fixed.signer.sign(request, { signingDate, signingRegion: fixed.signingRegion, signingService: fixed.signingService })) as HttpRequestShape);
      const sentAt = Date.now();
      const { response } = await config.requestHandler.handle(signed, {});
      let skewCorrected = false;
      if (fixed.skewCorrection) {
        const date = response.headers.date ?? response.headers.Date;
        if (date) {
          config.systemClockOffset = updatedClockOffset(date, config.systemClockOffset, sentAt, response.headers.age ?? response.headers.Age);
          skewCorrected = Math.abs(config.systemClockOffset) >= 240_000 && config.systemClockOffset !== offsetBefore;
        }
      }
      let output: Record<string, unknown>;
      try {
        output = await config.protocol.deserializeResponse(EXECUTE_OPERATION, fixed.context, response);
      } catch (error) {
        if (error !== null && typeof error === 'object') {
          Object.defineProperty(error, '$response', { value: response, enumerable: false, writable: false, configurable: false });
          const metadata = (error as { $metadata?: Record<string, unknown> }).$metadata;
          if (metadata === undefined) {
            // Not a service exception (a body the protocol could not read): decorated as the
            // SDK's deserialization middleware does.
            const failed = error as Error & { $metadata?: Record<string, unknown> };
            try {
              failed.message += '\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.';
            } catch {
              // A read-only message stays as it is.
            }
            failed.$metadata = {
              httpStatusCode: response.statusCode,
              requestId: findHeader(/^x-[\w-]+-request-?id$/, response.headers),
              extendedRequestId: findHeader(/^x-[\w-]+-id-2$/, response.headers),
              cfId: findHeader(/^x-[\w-]+-cf-id$/, response.headers),
            };
          } else if (skewCorrected) metadata.clockSkewCorrected = true;
        }
        throw error;
      }
      const metadata = output.$metadata as Record<string, unknown>;
      metadata.attempts = 1;
      metadata.totalRetryDelay = 0;
      return output as unknown as ExecuteStatementCommandOutput;
    } catch (raw) {
      // The SDK's retry middleware (one attempt) stamps every failure so.
      const error = raw instanceof Error ? raw : new Error(String(raw));
      const tagged = error as Error & { $metadata?: Record<string, unknown> };
      tagged.$metadata ??= {};
      tagged.$metadata.attempts = 1;
      tagged.$metadata.totalRetryDelay = 0;
      throw error;
    }
  }
}
