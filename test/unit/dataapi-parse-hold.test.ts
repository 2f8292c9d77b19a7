// The pieces of "errors at Parse" that need no server: ClientWriter holding messages back until
// the statement proves itself, and which errors count as PostgreSQL's parse-analysis errors.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ClientWriter } from '../../src/dataapi/session/client-writer.js';
import { isParseAnalysisError } from '../../src/dataapi/protocol/held-parse.js';
import { ClientFacingError } from '../../src/protocol/client-error.js';

function writer(): { out: ClientWriter; written: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { out: new ClientWriter(stream), written: () => Buffer.concat(chunks).toString() };
}

describe('ClientWriter hold', () => {
  it('writes what came before the hold, keeps the rest until release', async () => {
    const { out, written } = writer();
    out.send(Buffer.from('a'));
    out.hold();
    out.send(Buffer.from('b'));
    out.send(Buffer.from('c'));
    await out.flush();
    await new Promise((r) => setImmediate(r));
    expect(written()).toBe('a');
    out.release();
    await out.flush();
    await new Promise((r) => setImmediate(r));
    expect(written()).toBe('abc');
  });

  it('drops the held messages on discardHeld and goes on writing', async () => {
    const { out, written } = writer();
    out.hold();
    out.send(Buffer.from('parse-complete'));
    out.send(Buffer.from('bind-complete'));
    await out.flush();
    out.discardHeld();
    out.send(Buffer.from('error'));
    await out.flush();
    await new Promise((r) => setImmediate(r));
    expect(written()).toBe('error');
  });
});

describe('isParseAnalysisError', () => {
  it('takes class 42 but for missing privileges, which the executor checks', () => {
    const e = (code: string) => new ClientFacingError(code, 'x', {}, 'ERROR');
    expect(['42601', '42P01', '42703', '42883', '42804'].map((c) => isParseAnalysisError(e(c)))).toEqual([true, true, true, true, true]);
    expect(['42501', '23505', '0A000', '22012', '25P02'].map((c) => isParseAnalysisError(e(c)))).toEqual([false, false, false, false, false]);
    expect(isParseAnalysisError(new Error('network'))).toBe(false);
  });
});
