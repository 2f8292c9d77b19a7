// Turns a client statement and its Bind values into what ExecuteStatement takes: SQL with
// `:pN` named parameters (made safe for the Data API's own parameter scanner) and the
// parameter list.
//
// A parameter whose type the client declared is sent as a Data API parameter and cast to that
// type. A parameter the client left untyped (OID 0, as node-postgres and psycopg send) must be
// typed the way PostgreSQL would infer it from context; the Data API would bind a string as
// `text` instead, so such a value is written into the SQL as a quoted literal, whose type
// PostgreSQL infers exactly as it infers an untyped parameter's.
import type { SqlParameter } from '@aws-sdk/client-rds-data';
import { planParameter, type ParameterPlan } from '../types/index.js';
import type { UserTypeWires } from '../types/user-types.js';
import { isTrivia, quoteLiteral, toDataApiSql, type ParsedStatement, type RewrittenSql } from '../sql/index.js';
import { bareTargetParameters } from '../sql/bare-targets.js';
import type { FormatCode } from '../../protocol/messages.js';
import { SqlState } from '../../protocol/sqlstate.js';
import { ClientFacingError } from '../../protocol/client-error.js';

export interface BoundValues {
  values: (Buffer | null)[];
  /** Format code per value, already expanded from Bind's 0/1/N form. */
  formats: FormatCode[];
  /** Type OID per value (0 = unspecified), from Parse and the Describe probe. */
  types: number[];
  /** How to read binary values of types that are not built in (enums, domains), by type OID. */
  userTypes?: UserTypeWires;
}

export interface RenderedStatement {
  sql: string;
  parameters: SqlParameter[];
  /** Maps an offset in `sql` back to the client's text (for error positions). */
  originalOffset(offset: number): number;
}

/** Literals longer than this travel as parameters, so the statement stays far below 64 KiB. */
const MAX_INLINE_LITERAL = 8 * 1024;

/** Renders from the statement's own tokens: the text is not lexed again. */
export function renderStatement(statement: ParsedStatement, bound: BoundValues | null): RenderedStatement {
  const { text, tokens } = statement;
  const parameters: SqlParameter[] = [];
  const plans = new Map<number, ParameterPlan>();
  const planFor = (n: number): ParameterPlan => {
    let plan = plans.get(n);
    if (!plan) {
      if (!bound || n > bound.values.length) {
        throw new ClientFacingError(SqlState.UNDEFINED_PARAMETER, `there is no parameter $${n}`, {}, 'ERROR');
      }
      const typeOid = bound.types[n - 1] ?? 0;
      plan = planParameter({ number: n, value: bound.values[n - 1], format: bound.formats[n - 1] ?? 0, typeOid, userType: bound.userTypes?.get(typeOid) });
      plans.set(n, plan);
    }
    return plan;
  };
  const named = new Set<number>();
  const asParameter = (n: number, plan: ParameterPlan) => {
    if (!named.has(n)) {
      named.add(n);
      parameters.push({ name: `p${n}`, value: plan.value, ...(plan.typeHint ? { typeHint: plan.typeHint } : {}) });
    }
    return `:p${n}`;
  };
  const keepParameters = bound === null && definesOwnParameters(statement);
  // `SELECT $1` names its column ?column?; a CAST would name it after the type.
  const bare = bareTargetParameters(text, tokens);
  let occurrence = 0;
  const rewritten: RewrittenSql = toDataApiSql(text, {
    renderParameter: (n) => {
      const alias = bare[occurrence++] === true ? ' AS "?column?"' : '';
      if (keepParameters) return `$${n}`;
      const plan = planFor(n);
      if (plan.sqlType) return `CAST(${asParameter(n, plan)} AS ${plan.sqlType})${alias}`;
      const v = plan.value;
      if (v.isNull) return 'NULL';
      if (v.stringValue !== undefined && v.stringValue.length <= MAX_INLINE_LITERAL) return quoteLiteral(v.stringValue);
      return asParameter(n, plan);
    },
  }, tokens);
  return { sql: rewritten.sql, parameters, originalOffset: (o) => rewritten.originalOffset(o) };
}

/**
 * PREPARE ... AS and CREATE FUNCTION / PROCEDURE (a `RETURN` or `BEGIN ATOMIC` body) hold `$n`
 * that belong to the statement they define, not to this one: pg_dump sends both. Sent without
 * Bind values, such text keeps its `$n` for PostgreSQL to read.
 */
function definesOwnParameters(statement: ParsedStatement): boolean {
  const first = statement.tokens.find((t) => !isTrivia(t));
  return first?.kind === 'identifier' && (first.word === 'prepare' || first.word === 'create');
}

/** Expands Bind's format codes (none = all text, one = for all, else one each). */
export function expandFormats(codes: FormatCode[], count: number, what: string): FormatCode[] {
  if (codes.length === 0) return new Array<FormatCode>(count).fill(0);
  if (codes.length === 1) return new Array<FormatCode>(count).fill(codes[0]);
  if (codes.length !== count) {
    throw new ClientFacingError(SqlState.PROTOCOL_VIOLATION, `bind message has ${codes.length} ${what} formats but ${count} ${what}s`, {}, 'ERROR');
  }
  return codes;
}

/**
 * The same statement with every parameter sent as a Data API parameter (BatchExecuteStatement
 * needs one SQL text for all rows). Null when a parameter has no type to cast it to, since an
 * uncast string would bind as text.
 */
export function renderForBatch(statement: ParsedStatement, bound: BoundValues): RenderedStatement | null {
  const parameters: SqlParameter[] = [];
  let typed = true;
  const rewritten = toDataApiSql(statement.text, {
    renderParameter: (n) => {
      const typeOid = bound.types[n - 1] ?? 0;
      const plan = planParameter({ number: n, value: bound.values[n - 1] ?? null, format: bound.formats[n - 1] ?? 0, typeOid, userType: bound.userTypes?.get(typeOid) });
      if (!plan.sqlType) typed = false;
      if (!parameters.some((p) => p.name === `p${n}`)) {
        parameters.push({ name: `p${n}`, value: plan.value, ...(plan.typeHint ? { typeHint: plan.typeHint } : {}) });
      }
      return `CAST(:p${n} AS ${plan.sqlType ?? 'text'})`;
    },
  }, statement.tokens);
  if (!typed) return null;
  return { sql: rewritten.sql, parameters, originalOffset: (o) => rewritten.originalOffset(o) };
}
