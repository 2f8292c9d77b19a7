// SET, SET LOCAL and set_config() of the settings the proxy answers itself (TimeZone, DateStyle,
// application_name...), in every syntax PostgreSQL accepts. Values are stored and reported in
// PostgreSQL's own spelling. A TimeZone whose spelling only the server's tz database knows (a
// zone name in another case, an alias, a POSIX string, an interval that is not plain HH:MM) is
// asked of the database with set_config(…, true) in a call of its own, outside the client's
// transaction, so that nothing the client runs sees the database's zone change.
import type { ColumnMetadata } from '@aws-sdk/client-rds-data';
import { SqlState } from '../../protocol/sqlstate.js';
import { ClientFacingError } from '../../protocol/client-error.js';
import { commandTag, quoteLiteral, type ClassifiedStatement, type SetStatement, type SetValue } from '../sql/index.js';
import type { SetConfigCall } from '../sql/set-config-call.js';
import { hoursZoneName, intervalZoneName } from '../types/time-zone-name.js';
import { BufferedRows } from './row-source.js';
import { simple, warning, type RunnerContext, type StatementOutcome } from './outcome.js';

/** SET [LOCAL] of a client-side setting. */
export async function runClientSet(ctx: RunnerContext, statement: SetStatement): Promise<StatementOutcome> {
  const { tx, settings } = ctx;
  const value = await clientValueOf(ctx, statement.name, statement.value);
  if (statement.local) {
    if (!tx.open || tx.implicit) {
      settings.checked(statement.name, value); // a bad value still fails, as on PostgreSQL
      return simple('SET', { notices: [warning('SET LOCAL can only be used in transaction blocks', SqlState.NO_ACTIVE_SQL_TRANSACTION)] });
    }
    const changed = settings.setClientLocal(statement.name, value);
    return simple('SET', { parameterStatus: changed ? [changed] : [] });
  }
  const changed = settings.setClient(statement.name, value);
  return simple('SET', { parameterStatus: changed ? [changed] : [] });
}

/**
 * `SELECT set_config('name', 'value', is_local)` of a client-side setting: one row with the new
 * value. With is_local outside a transaction block the change ends with the statement.
 */
export async function runClientSetConfig(ctx: RunnerContext, statement: ClassifiedStatement, call: SetConfigCall): Promise<StatementOutcome> {
  const { tx, settings } = ctx;
  const value = await clientValueOf(ctx, call.name, { type: 'value', value: call.value });
  let shown: string;
  let changed: [string, string] | null = null;
  if (call.local && (!tx.open || tx.implicit)) {
    shown = settings.checked(call.name, value);
  } else {
    changed = call.local ? settings.setClientLocal(call.name, value) : settings.setClient(call.name, value);
    shown = settings.clientValue(call.name) ?? '';
  }
  const columns: ColumnMetadata[] = [{ name: 'set_config', label: 'set_config', typeName: 'text' }];
  const rows = new BufferedRows(columns, [[{ stringValue: shown }]]);
  return { ...simple(''), columns, rows, tag: (n) => commandTag(statement, n), parameterStatus: changed ? [changed] : [] };
}

/** The value to store (null: the setting's default), TimeZone spelled as PostgreSQL spells it. */
async function clientValueOf(ctx: RunnerContext, name: string, value: SetValue): Promise<string | null> {
  switch (value.type) {
    case 'default':
      return null;
    case 'from-current':
      return ctx.settings.clientValue(name) ?? null;
    case 'value':
      return name === 'timezone' ? timeZoneFromText(ctx, value.value) : value.value;
    case 'interval':
      if (name !== 'timezone') throw new ClientFacingError(SqlState.SYNTAX_ERROR, `syntax error at or near "INTERVAL"`, {}, 'ERROR');
      return timeZoneFromInterval(ctx, value);
  }
}

async function timeZoneFromText(ctx: RunnerContext, text: string): Promise<string> {
  if (text === 'UTC') return text;
  const local = hoursZoneName(text);
  if (local !== null) return local;
  return askDatabase(ctx, `tz:${text}`, quoteLiteral(text));
}

async function timeZoneFromInterval(ctx: RunnerContext, value: Extract<SetValue, { type: 'interval' }>): Promise<string> {
  if (value.precision === null) {
    const local = intervalZoneName(value.literal, value.qualifier);
    if (local !== null) return local;
  }
  // SET flattens the interval to `INTERVAL '<interval_out>'` (guc.c), which check_timezone reads.
  const type = value.precision === null ? 'INTERVAL' : `INTERVAL(${value.precision})`;
  const qualifier = value.qualifier.toUpperCase(); // one of the few forms the parser lets through
  const interval = `(${type} ${quoteLiteral(value.literal)} ${qualifier})::pg_catalog.text`;
  return askDatabase(ctx, `interval:${value.precision}:${value.qualifier}:${value.literal}`, `'INTERVAL ''' || ${interval} || ''''`);
}

/** Canonical spellings the database gave, by what the client wrote: the tz database does not change under a running proxy. */
const resolved = new Map<string, string>();
const RESOLVED_LIMIT = 512;

async function askDatabase(ctx: RunnerContext, key: string, valueExpression: string): Promise<string> {
  const known = resolved.get(key);
  if (known !== undefined) return known;
  const sql = `SELECT pg_catalog.set_config('timezone', ${valueExpression}, true)`;
  // A one-session database is held by the open transaction: ask inside it (set_config(..., true)
  // sets the value the client's SET is about to give this transaction anyway).
  const inside = ctx.tx.open && ctx.tx.oneSessionDatabase;
  const call = inside ? ctx.tx.execute({ sql }, ctx.onResuming) : ctx.tx.executeAlone({ sql }, ctx.onResuming);
  const out = await call.catch((err: unknown) => {
    // The error is PostgreSQL's own (22023 invalid value...); its position points into our query.
    if (err instanceof ClientFacingError && err.extra.position !== undefined) {
      const { position: _dropped, ...rest } = err.extra;
      throw new ClientFacingError(err.sqlstate, err.message, rest, 'ERROR');
    }
    throw err;
  });
  const spelled = out.records?.[0]?.[0]?.stringValue;
  if (spelled === undefined) throw new ClientFacingError(SqlState.INTERNAL_ERROR, 'the database returned no value for TimeZone', {}, 'ERROR');
  if (resolved.size >= RESOLVED_LIMIT) resolved.delete(resolved.keys().next().value!);
  resolved.set(key, spelled);
  return spelled;
}
