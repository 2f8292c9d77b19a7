// A large string parameter whose request-body form is already built. A COPY chunk's `:rows`
// parameter is megabytes of JSON; written the usual way it is concatenated into one string,
// escaped again as a JSON string by the request serializer, copied into the body string and
// encoded to UTF-8 for signing and for the socket: four passes over it and as many big strings
// for the garbage collector. Here the caller writes the bytes of the JSON string literal's
// content (what JSON.stringify would put between the quotes, UTF-8) once, into a Buffer, and
// lean-serialize.ts splices them into the body as they are.
//
// The field still has a `stringValue`, decoded from those bytes on first read, for whoever
// reads it as a string (the SDK's own serializer when the lean path is not taken, tests).
import type { Field } from '@aws-sdk/client-rds-data';

const WIRE_CONTENT = new WeakMap<object, Uint8Array>();

/**
 * A `{ stringValue }` field whose value is the JSON string literal `"<content>"`: `content`
 * must be exactly what JSON.stringify(value) puts between its quotes, as UTF-8.
 */
export function wireStringValue(content: Uint8Array): Field {
  let decoded: string | undefined;
  const field = {} as { stringValue: string };
  Object.defineProperty(field, 'stringValue', {
    enumerable: true,
    get: () => (decoded ??= JSON.parse(`"${Buffer.from(content.buffer, content.byteOffset, content.byteLength).toString('utf8')}"`) as string),
  });
  WIRE_CONTENT.set(field, content);
  return field as Field;
}

/** The content bytes of a field made by wireStringValue(), or undefined for any other field. */
export function wireContentOf(field: unknown): Uint8Array | undefined {
  return typeof field === 'object' && field !== null ? WIRE_CONTENT.get(field) : undefined;
}
