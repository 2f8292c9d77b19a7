// The AWS SDK for JavaScript reads every JSON number as a double, so an int8 beyond ±2^53 comes
// out rounded. Scalars are asked for as strings (longReturnType STRING), but that option does
// not reach the elements of an int8[] (`arrayValue.longValues`). This HTTP handler rewrites such
// a list, before the SDK parses the response, into `stringValues` holding the exact digits,
// which the type codec reads like any other int8 text.
import { Readable } from 'node:stream';
import { NodeHttpHandler } from '@smithy/node-http-handler';

type HandleArgs = Parameters<NodeHttpHandler['handle']>;
type HandleResult = Awaited<ReturnType<NodeHttpHandler['handle']>>;

// A `"longValues"` key can only be the member name: inside a JSON string its quotes would be
// escaped. Its list holds numbers and nulls only, so it ends at the first `]`.
const LONG_VALUES_KEY = Buffer.from('"longValues"');
const LONG_LIST = /"longValues"\s*:\s*\[([^\]]*)\]/g;

/** `json` with every longValues list holding an unsafe integer turned into stringValues. */
export function keepLongArraysExact(json: string): string {
  if (!json.includes('"longValues"')) return json;
  return json.replace(LONG_LIST, (whole, list: string) => {
    const items = list.split(',').map((s) => s.trim());
    const unsafe = items.some((s) => s !== 'null' && s !== '' && !Number.isSafeInteger(Number(s)));
    if (!unsafe) return whole;
    return `"stringValues":[${items.map((s) => (s === 'null' ? 'null' : JSON.stringify(s))).join(',')}]`;
  });
}

/** `body` (a 200 ExecuteStatement response) with int8 arrays kept exact; the same Buffer when none needed it. */
export function exactLongBody(raw: Buffer): Buffer {
  // Most results hold no int8 array: look for the key in the bytes before decoding any text.
  if (!raw.includes(LONG_VALUES_KEY)) return raw;
  const text = raw.toString('utf8');
  const rewritten = keepLongArraysExact(text);
  return rewritten === text ? raw : Buffer.from(rewritten, 'utf8');
}

export class ExactLongHttpHandler extends NodeHttpHandler {
  /**
   * Set when the client's lean decoder (lean-protocol.ts) reads ExecuteStatement responses: it
   * applies exactLongBody itself, without this handler buffering and re-streaming the body.
   */
  leanDecoderKeepsLongsExact = false;

  override async handle(...args: HandleArgs): Promise<HandleResult> {
    const out = await super.handle(...args);
    const [request] = args;
    const body = out.response.body as NodeJS.ReadableStream | undefined;
    if (this.leanDecoderKeepsLongsExact) return out;
    if (request.path !== '/Execute' || out.response.statusCode !== 200 || !body || typeof body.on !== 'function') return out;
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    const bytes = exactLongBody(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    for (const name of Object.keys(out.response.headers)) {
      if (name.toLowerCase() === 'content-length') out.response.headers[name] = String(bytes.length);
    }
    out.response.body = Readable.from([bytes]);
    return out;
  }
}
