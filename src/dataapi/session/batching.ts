// pgJDBC's executeBatch (and any client that pipelines the same INSERT) sends many
// Bind/Execute rounds of one statement before a single Sync. Each such round of a single-row
// INSERT ... VALUES affects exactly one row, so the answer every Execute must get is known in
// advance ("INSERT 0 1"), and the rounds can travel as one BatchExecuteStatement call instead of
// one ExecuteStatement each.
import type { SqlParameter } from '@aws-sdk/client-rds-data';
import { tokenize, type Token } from '../sql/index.js';
import { decodeFrontendMessage } from '../../protocol/frontend-decoder.js';
import type { FrontendMessage } from '../../protocol/messages.js';
import type { Frame } from './client-input.js';

/** Frame types a round of a batch consists of: Parse, Bind, Describe, Execute. */
export const ROUND_FRAME_TYPES: ReadonlySet<number> = new Set([0x50, 0x42, 0x44, 0x45]);

/** BatchExecuteStatement requests are capped at 4 MiB; leave room for the envelope. */
export const BATCH_REQUEST_BUDGET = 3 * 1024 * 1024;

/** Bytes of a pipeline read ahead while gathering the rounds of a batch (bounds memory). */
export const PIPELINE_READ_LIMIT = 4 * 1024 * 1024;

/** Splits parameter sets into requests that each stay within `budget` bytes of JSON. */
export function chunkBySize(sets: SqlParameter[][], budget: number): SqlParameter[][][] {
  const chunks: SqlParameter[][][] = [];
  let current: SqlParameter[][] = [];
  let size = 0;
  for (const set of sets) {
    const bytes = Buffer.byteLength(JSON.stringify(set)) + 2;
    if (current.length > 0 && size + bytes > budget) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(set);
    size += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** An INSERT that always writes exactly one row and returns none (`tokens`: the text's, when already lexed). */
export function isSingleRowInsert(text: string, tokens: readonly Token[] = tokenize(text)): boolean {
  const words: Token[] = tokens.filter((t) => t.kind !== 'whitespace' && t.kind !== 'comment');
  if (words[0]?.kind !== 'identifier' || words[0].word !== 'insert') return false;
  let depth = 0;
  let valuesAt = -1;
  for (let i = 1; i < words.length && valuesAt < 0; i++) {
    const t = words[i];
    if (t.kind === 'punctuation' && t.text === '(') depth++;
    else if (t.kind === 'punctuation' && t.text === ')') depth--;
    else if (depth === 0 && t.kind === 'identifier') {
      if (t.word === 'values') valuesAt = i;
      else if (t.word === 'select' || t.word === 'default' || t.word === 'table') return false;
    }
  }
  if (valuesAt < 0) return false;
  // After VALUES: exactly one parenthesised row, then nothing but a semicolon.
  const rest = words.slice(valuesAt + 1);
  if (rest[0]?.kind !== 'punctuation' || rest[0].text !== '(') return false;
  depth = 0;
  let end = -1;
  for (let i = 0; i < rest.length; i++) {
    const t = rest[i];
    if (t.kind === 'punctuation' && t.text === '(') depth++;
    else if (t.kind === 'punctuation' && t.text === ')') {
      depth--;
      if (depth === 0) {
        end = i;
        break;
      }
    }
  }
  if (end < 0) return false;
  const after = rest.slice(end + 1);
  return after.every((t) => t.kind === 'punctuation' && t.text === ';');
}

export interface BatchRound {
  bind: Extract<FrontendMessage, { type: 'Bind' }>;
  /** Messages of the round in order, to answer each. */
  messages: FrontendMessage['type'][];
  /** How many queued frames the round used. */
  frames: number;
}

/** Which statements the rounds of one batch may name. */
export interface RoundStatements {
  /** This Bind continues the batch (of the batch's own statement, or one of the same text and types). */
  binds(bind: Extract<FrontendMessage, { type: 'Bind' }>): boolean;
  /** A Parse continues the batch when it parses the batch's own statement again, unchanged. */
  parses(msg: Extract<FrontendMessage, { type: 'Parse' }>): boolean;
}

/** The batch's own statement only: its Binds, and Parses of it again with the same text and compatible types. */
export function ownStatement(statementName: string, text: string, paramTypes?: readonly number[]): RoundStatements {
  return {
    binds: (bind) => bind.statement === statementName,
    parses: (msg) => msg.name === statementName && msg.sql === text && (!paramTypes || sameTypes(msg.paramTypes, paramTypes)),
  };
}

/**
 * Reads rounds of `[Parse same text]? Bind [Describe portal]? Execute` from frames already
 * queued, stopping at anything else (Sync included, which stays queued).
 */
export function collectRounds(queued: readonly Frame[], statements: RoundStatements, portalName: string): BatchRound[] {
  const rounds: BatchRound[] = [];
  let i = 0;
  for (;;) {
    const start = i;
    const messages: FrontendMessage['type'][] = [];
    let msg = decodeAt(queued, i);
    if (msg?.type === 'Parse') {
      if (!statements.parses(msg)) break;
      messages.push('Parse');
      msg = decodeAt(queued, ++i);
    }
    if (msg?.type !== 'Bind' || !statements.binds(msg) || msg.portal !== portalName) break;
    const bind = msg;
    messages.push('Bind');
    msg = decodeAt(queued, ++i);
    if (msg?.type === 'Describe' && msg.target === 'P' && msg.name === portalName) {
      messages.push('Describe');
      msg = decodeAt(queued, ++i);
    }
    if (msg?.type !== 'Execute' || msg.portal !== portalName) break;
    messages.push('Execute');
    i++;
    rounds.push({ bind, messages, frames: i - start });
  }
  return rounds;
}

/** The statements the queued Binds name, up to the first frame that is not part of a round. */
export function boundStatementNames(queued: readonly Frame[]): Set<string> {
  const names = new Set<string>();
  for (let i = 0; i < queued.length && ROUND_FRAME_TYPES.has(queued[i].type); i++) {
    if (queued[i].type !== 0x42) continue;
    const msg = decodeAt(queued, i);
    if (msg?.type === 'Bind') names.add(msg.statement);
  }
  return names;
}

/**
 * A round's Parse declares the statement's types: each the same, or unspecified (0) where the
 * statement's type is the one a Describe found (PostgreSQL infers the same for the same text).
 */
function sameTypes(round: readonly number[], statement: readonly number[]): boolean {
  for (let i = 0; i < Math.max(round.length, statement.length); i++) {
    const r = round[i] ?? 0;
    if (r !== 0 && r !== (statement[i] ?? 0)) return false;
  }
  return true;
}

function decodeAt(queued: readonly Frame[], i: number): FrontendMessage | null {
  const f = queued[i];
  if (!f) return null;
  try {
    return decodeFrontendMessage(f.type, f.body);
  } catch {
    return null;
  }
}
