// Describe, before Bind, of the two statements whose result shape only the database knows and
// which no SELECT can stand in for: CALL of a procedure and SQL-level EXECUTE of a prepared
// statement. PostgreSQL answers such a Describe without running anything, so the proxy must not
// run them either (a procedure's writes, sequences and triggers would happen):
// - CALL: the procedure is found in pg_proc by name and argument count; its INOUT and OUT
//   arguments are the result columns, and a `$n` written as an argument takes that argument's type;
// - EXECUTE: the prepared statement is read back from pg_prepared_statements (it exists only
//   inside a transaction over the Data API), its arguments are put in place of its `$n`, and the
//   result is described as an ordinary statement (a SELECT under LIMIT 0, a RETURNING as a probe).
// What cannot be decided this way (an overloaded or variadic procedure, a polymorphic result, a
// `$n` inside an expression of unknown type) is refused with 0A000 rather than run.
import type { ColumnMetadata, ExecuteStatementCommandOutput } from '@aws-sdk/client-rds-data';
import { SqlState } from '../../protocol/sqlstate.js';
import { identifierValue, isTrivia, type Token } from '../sql/lexer.js';
import { classifyStatement, parseStatement, quoteLiteral, renderPlaceholders, type ClassifiedStatement, type ParsedStatement } from '../sql/index.js';
import { StatementError } from './outcome.js';

export interface DescribedShape {
  paramTypes: number[];
  columns: ColumnMetadata[] | null;
}

type Read = (sql: string) => Promise<ExecuteStatementCommandOutput>;

/** A `$n` written alone as an argument, the argument's position and (named notation) name. */
interface CallArgument {
  name: string | null;
  /** The placeholder number when the argument is exactly `$n`, else 0. */
  parameter: number;
  /** The value as written (without a name), and whether a `$n` is in it. */
  text: string;
  hasParameters: boolean;
}

interface CallSyntax {
  schema: string | null;
  procedure: string;
  args: CallArgument[];
}

/** Reads `CALL [schema.]name(arg, ...)` from the statement's tokens; null when it is not that simple. */
export function readCall(text: string, tokens: readonly Token[]): CallSyntax | null {
  const t = tokens.filter((x) => !isTrivia(x));
  if (t[0]?.kind !== 'identifier' || t[0].word !== 'call') return null;
  const isName = (x: Token | undefined) => x !== undefined && (x.kind === 'identifier' || x.kind === 'quoted-identifier');
  let i = 1;
  if (!isName(t[i])) return null;
  let schema: string | null = null;
  let procedure = identifierValue(t[i]!);
  if (t[i + 1]?.text === '.' && isName(t[i + 2])) {
    schema = procedure;
    procedure = identifierValue(t[i + 2]!);
    i += 2;
  }
  if (t[i + 1]?.text !== '(') return null;
  const args: CallArgument[] = [];
  let depth = 0;
  let current: Token[] = [];
  const finish = () => {
    if (current.length === 0) return;
    args.push(readArgument(text, current));
    current = [];
  };
  for (let j = i + 2; j < t.length; j++) {
    const x = t[j]!;
    if (x.text === '(' || x.text === '[') depth++;
    if (x.text === ')' || x.text === ']') {
      if (depth === 0) {
        if (current.length === 0 && args.length > 0) return null; // `p(a,)`
        finish();
        const rest = t.slice(j + 1).filter((r) => r.text !== ';');
        return rest.length === 0 ? { schema, procedure, args } : null;
      }
      depth--;
    }
    if (x.text === ',' && depth === 0) {
      if (current.length === 0) return null;
      finish();
      continue;
    }
    current.push(x);
  }
  return null;
}

function readArgument(text: string, tokens: Token[]): CallArgument {
  let name: string | null = null;
  let value = tokens;
  if (tokens.length > 2 && (tokens[0]!.kind === 'identifier' || tokens[0]!.kind === 'quoted-identifier') && (tokens[1]!.text === '=>' || tokens[1]!.text === ':=')) {
    name = identifierValue(tokens[0]!);
    value = tokens.slice(2);
  }
  const first = value[0];
  const bare = first?.kind === 'parameter' && value.length === 1;
  const written = text.slice(value[0]!.start, value[value.length - 1]!.end);
  return { name, parameter: bare ? first.index : 0, text: written, hasParameters: value.some((v) => v.kind === 'parameter') };
}

/** One procedure in pg_proc, with its arguments in call order (IN, INOUT and OUT, as CALL takes them). */
interface ProcedureRow {
  types: number[];
  typeNames: string[];
  modes: string[];
  names: string[];
  defaults: number;
}

function callNotSupported(reason: string): StatementError {
  return new StatementError(SqlState.FEATURE_NOT_SUPPORTED, `cannot describe this CALL without running it (${reason})`, undefined, {
    hint: 'In Data API mode the proxy describes a CALL from pg_proc; declare the parameter types, or describe the portal after Bind instead (the procedure then runs once, for real).',
  });
}

async function procedures(read: Read, call: CallSyntax): Promise<ProcedureRow[]> {
  const where = call.schema === null ? 'pg_catalog.pg_function_is_visible(p.oid)' : `n.nspname = ${quoteLiteral(call.schema)}`;
  const out = await read(
    'SELECT array_to_string(coalesce(p.proallargtypes, p.proargtypes::oid[]), \',\'), ' +
      "array_to_string(ARRAY(SELECT t.typname FROM unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) WITH ORDINALITY AS u(o, k) JOIN pg_catalog.pg_type t ON t.oid = u.o ORDER BY u.k), ','), " +
      "array_to_string(coalesce(p.proargmodes::text[], ARRAY[]::text[]), ','), " +
      "array_to_string(coalesce(p.proargnames, ARRAY[]::text[]), ',', ''), p.pronargdefaults, p.provariadic <> 0 " +
      'FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace ' +
      `WHERE p.prokind = 'p' AND p.proname = ${quoteLiteral(call.procedure)} AND ${where}`,
  );
  const split = (s: string | undefined) => (s === undefined || s === '' ? [] : s.split(','));
  return (out.records ?? []).map((r) => {
    if (r[5]?.booleanValue === true) throw callNotSupported('the procedure is variadic');
    const types = split(r[0]?.stringValue).map(Number);
    const modes = split(r[2]?.stringValue);
    return {
      types,
      typeNames: split(r[1]?.stringValue),
      modes: modes.length > 0 ? modes : types.map(() => 'i'),
      names: split(r[3]?.stringValue),
      defaults: Number(r[4]?.longValue ?? r[4]?.stringValue ?? 0),
    };
  });
}

/** Whether the call's arguments fit the procedure: count within its defaults, names among its own. */
function fits(proc: ProcedureRow, args: CallArgument[]): boolean {
  if (args.length > proc.types.length) return false;
  const named = args.filter((a) => a.name !== null);
  if (named.some((a) => !proc.names.includes(a.name!))) return false;
  // Defaults belong to trailing input arguments: fewer arguments than that are missing ones.
  return args.length >= proc.types.length - proc.defaults;
}

/** Each argument's position in the procedure's argument list. */
function positions(proc: ProcedureRow, args: CallArgument[]): number[] {
  return args.map((a, i) => (a.name === null ? i : proc.names.indexOf(a.name)));
}

/**
 * Types of the `$n` in `expressions` as PostgreSQL infers them (from a SELECT of them; `known`:
 * the types decided so far, 0 where not).
 */
export type InferTypes = (expressions: string[], known: number[]) => Promise<number[]>;

export async function describeCall(st: ParsedStatement, declared: number[], read: Read, infer: InferTypes): Promise<DescribedShape> {
  const call = readCall(st.text, st.tokens);
  if (!call) throw callNotSupported('the statement is not a plain CALL name(arguments)');
  const candidates = (await procedures(read, call)).filter((p) => fits(p, call.args));
  if (candidates.length === 0) {
    const name = call.schema === null ? call.procedure : `${call.schema}.${call.procedure}`;
    throw new StatementError(SqlState.UNDEFINED_FUNCTION, `procedure ${name} does not exist`, undefined, {
      hint: 'No procedure matches the given name and argument types. You might need to add explicit type casts.',
    });
  }
  if (candidates.length > 1) throw callNotSupported('several procedures of that name fit the arguments');
  const proc = candidates[0]!;
  const at = positions(proc, call.args);
  // A `$n` written alone takes its argument's type; one inside an expression, what PostgreSQL
  // infers for the expression (`$1::int`, `$1 || 'x'`).
  let paramTypes = declared.map((oid, n) => {
    if (oid !== 0) return oid;
    const arg = call.args.findIndex((a) => a.parameter === n + 1);
    return arg < 0 ? 0 : proc.types[at[arg]!]!;
  });
  if (paramTypes.some((t) => t === 0)) {
    const expressions = call.args.filter((a) => a.hasParameters && a.parameter === 0).map((a) => a.text);
    if (expressions.length === 0) throw callNotSupported('a parameter is not used as an argument');
    paramTypes = await infer(expressions, paramTypes);
  }
  const columns: ColumnMetadata[] = [];
  proc.modes.forEach((mode, k) => {
    if (mode !== 'b' && mode !== 'o') return;
    const typeName = proc.typeNames[k] ?? 'text';
    if (typeName.startsWith('any')) throw callNotSupported('its result type is polymorphic');
    const name = proc.names[k] || `column${columns.length + 1}`;
    columns.push({ name, label: name, typeName });
  });
  return { paramTypes, columns: columns.length > 0 ? columns : null };
}

type ExecuteStatement = Extract<ClassifiedStatement, { kind: 'execute' }>;

/**
 * The statement an EXECUTE runs, with its arguments in place of the prepared statement's `$n`,
 * read from the transaction that holds it. `inTransaction` false: over the Data API a statement
 * prepared outside a transaction is gone with the call that made it, as EXECUTE would find.
 */
export async function preparedBehindExecute(statement: ExecuteStatement, read: Read | null): Promise<ParsedStatement> {
  const missing = () => new StatementError(SqlState.INVALID_SQL_STATEMENT_NAME, `prepared statement "${statement.name}" does not exist`);
  if (!read) throw missing();
  const out = await read(
    'SELECT p.statement, ARRAY(SELECT pg_catalog.format_type(u.t, NULL) FROM unnest(p.parameter_types) WITH ORDINALITY AS u(t, n) ORDER BY u.n)::text[] ' +
      `FROM pg_catalog.pg_prepared_statements p WHERE p.name = ${quoteLiteral(statement.name)}`,
  );
  const row = out.records?.[0];
  const text = row?.[0]?.stringValue;
  const types = row?.[1]?.arrayValue?.stringValues ?? [];
  if (text === undefined) throw missing();
  if (types.length !== statement.arguments.length) {
    throw new StatementError(SqlState.SYNTAX_ERROR, `wrong number of parameters for prepared statement "${statement.name}"`, undefined, {
      detail: `Expected ${types.length} parameters but got ${statement.arguments.length}.`,
    });
  }
  const prepare = classifyStatement(text);
  if (prepare.kind !== 'prepare') throw missing();
  const query = renderPlaceholders(prepare.statement, (n) => `CAST((${statement.arguments[n - 1] ?? 'NULL'}) AS ${types[n - 1] ?? 'text'})`).sql;
  return parseStatement(query);
}
