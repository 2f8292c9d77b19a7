// The protocol machine alone, with a handler that only records what it is asked: the
// extended protocol's bookkeeping (statements, portals, skip until Sync) needs no Data API.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { FrontendMessage } from '../../../src/protocol/messages.js';
import { ProtocolMachine } from '../../../src/dataapi/protocol/protocol-machine.js';
import type { ProtocolHandler, SimpleQuery } from '../../../src/dataapi/protocol/protocol-handler.js';
import { StatementRegistry, type Portal, type PreparedStatement } from '../../../src/dataapi/protocol/statement-registry.js';
import { ClientWriter } from '../../../src/dataapi/session/client-writer.js';
import { StatementError } from '../../../src/dataapi/session/outcome.js';

const MESSAGE_NAMES: Record<string, string> = { '1': 'ParseComplete', '2': 'BindComplete', '3': 'CloseComplete', I: 'EmptyQueryResponse' };

class RecordingHandler implements ProtocolHandler {
  readonly asked: string[] = [];
  failExecute = false;

  async simpleQuery(q: SimpleQuery) {
    this.asked.push(`query ${q.statements.map((s) => s.text).join(' | ')}`);
  }
  canBatch() {
    return false;
  }
  async describeStatement(s: PreparedStatement) {
    this.asked.push(`describe statement ${s.name}`);
    return true;
  }
  async describePortal(p: Portal | undefined, name: string) {
    this.asked.push(`describe portal ${name}${p ? '' : ' (unknown)'}`);
    return p !== undefined;
  }
  async checkStatement(s: PreparedStatement) {
    this.asked.push(`check ${s.name}`);
  }
  async executePortal(p: Portal, maxRows: number) {
    this.asked.push(`execute ${p.name} of ${p.statement.name} rows=${maxRows} values=${p.bound.values.map(String).join(',')}`);
    if (this.failExecute) throw new StatementError('42000', 'failed');
  }
  async sync() {
    this.asked.push('sync');
    return { transactionOpen: false };
  }
  async functionCall() {
    this.asked.push('function call');
  }
  async extendedError(err: unknown) {
    this.asked.push(`error ${(err as Error).message}`);
  }
  async readyForQuery() {
    this.asked.push('ready');
  }
}

function machine() {
  const socket = new PassThrough();
  const written: Buffer[] = [];
  socket.on('data', (b: Buffer) => written.push(b));
  const out = new ClientWriter(socket);
  const handler = new RecordingHandler();
  const registry = new StatementRegistry();
  const m = new ProtocolMachine(out, registry, handler);
  const run = async (...messages: FrontendMessage[]) => {
    for (const msg of messages) await m.dispatch(msg);
    await out.flush();
  };
  /** Names of the backend messages the machine itself wrote (all of them have no body to check). */
  const sent = () => {
    const all = Buffer.concat(written);
    const names: string[] = [];
    for (let at = 0; at < all.length; at += 1 + all.readInt32BE(at + 1)) {
      names.push(MESSAGE_NAMES[String.fromCharCode(all[at]!)] ?? `unexpected ${String.fromCharCode(all[at]!)}`);
    }
    return names;
  };
  return { handler, registry, run, sent };
}

const parse = (name: string, sql: string, paramTypes: number[] = []): FrontendMessage => ({ type: 'Parse', name, sql, paramTypes });
const bind = (portal: string, statement: string, params: (Buffer | null)[] = []): FrontendMessage => ({
  type: 'Bind',
  portal,
  statement,
  paramFormats: [],
  params,
  resultFormats: [],
});
const execute = (portal: string, maxRows = 0): FrontendMessage => ({ type: 'Execute', portal, maxRows });
const sync: FrontendMessage = { type: 'Sync' };

describe('protocol machine', () => {
  it('splits a Query into parsed statements for the handler, then asks for ReadyForQuery', async () => {
    const { handler, run } = machine();
    await run({ type: 'Query', sql: 'SELECT 1; SELECT 2 ;' });
    expect(handler.asked).toEqual(['query SELECT 1 | SELECT 2', 'ready']);
  });

  it('answers an empty Query itself', async () => {
    const { handler, run, sent } = machine();
    await run({ type: 'Query', sql: '  ' });
    expect(handler.asked).toEqual(['ready']);
    expect(sent()).toEqual(['EmptyQueryResponse']);
  });

  it('binds values to named portals of named statements and executes them with their row limits', async () => {
    const { handler, run, sent } = machine();
    await run(parse('s', 'SELECT $1'), bind('p', 's', [Buffer.from('9')]), execute('p', 5), sync);
    expect(handler.asked).toEqual(['execute p of s rows=5 values=9', 'sync', 'ready']);
    expect(sent()).toEqual(['ParseComplete', 'BindComplete']);
  });

  it('after an error skips everything up to Sync, and answers again after it', async () => {
    const { handler, run } = machine();
    handler.failExecute = true;
    await run(parse('', 'SELECT 1'), bind('', ''), execute(''), parse('', 'SELECT 2'), bind('', ''), execute(''), sync);
    expect(handler.asked).toEqual(['execute  of  rows=0 values=', 'error failed', 'sync', 'ready']);
    handler.failExecute = false;
    await run(parse('', 'SELECT 3'), bind('', ''), execute(''), sync);
    expect(handler.asked.slice(4)).toEqual(['execute  of  rows=0 values=', 'sync', 'ready']);
  });

  it('refuses several commands in one Parse, and unknown statements and portals', async () => {
    const { handler, run } = machine();
    await run(parse('', 'SELECT 1; SELECT 2'), sync, bind('', 'nope'), sync, execute('nope'), sync);
    expect(handler.asked).toEqual([
      'error cannot insert multiple commands into a prepared statement',
      'sync',
      'ready',
      'error prepared statement "nope" does not exist',
      'sync',
      'ready',
      'error portal "nope" does not exist',
      'sync',
      'ready',
    ]);
  });

  it('routes Describe of statements and portals, an unknown portal name included (an SQL cursor)', async () => {
    const { handler, run } = machine();
    await run(parse('s', 'SELECT 1'), bind('p', 's'), { type: 'Describe', target: 'S', name: 's' }, { type: 'Describe', target: 'P', name: 'p' });
    await run({ type: 'Describe', target: 'P', name: 'cur' }, sync);
    expect(handler.asked).toEqual(['describe statement s', 'describe portal p', 'describe portal cur (unknown)', 'sync', 'ready']);
  });

  it('counts parameters from the text when Parse declares fewer types, and closes portals at Sync outside a transaction', async () => {
    const { registry, run } = machine();
    await run(parse('s', 'SELECT $2, $1', [23]), bind('p', 's', [null, null]));
    expect(registry.statements.get('s')?.paramCount).toBe(2);
    expect(registry.portals.has('p')).toBe(true);
    await run(sync);
    expect(registry.portals.size).toBe(0);
    expect(registry.statements.has('s')).toBe(true);
  });
});
