// Session settings in Data API mode. Outside a transaction each call may land on another
// database session, so a plain SET would have no lasting effect. The proxy therefore keeps the
// session's settings itself:
// - settings that only shape what the client receives (application_name, DateStyle...) are
//   answered here, with ParameterStatus where PostgreSQL sends one;
// - every other setting is remembered and applied at the start of each transaction the proxy
//   runs (one set_config call), so it holds for every statement.
import { quoteLiteral } from '../sql/index.js';
import { isKnownTimeZone } from '../types/time-zone.js';
import { hoursZoneName } from '../types/time-zone-name.js';
import { SqlState } from '../../protocol/sqlstate.js';
import { ClientFacingError } from '../../protocol/client-error.js';

/** Reported to the client in ParameterStatus (PostgreSQL's GUC_REPORT settings we keep). */
export const REPORTED = new Set(['application_name', 'client_encoding', 'datestyle', 'intervalstyle', 'timezone', 'standard_conforming_strings', 'integer_datetimes', 'is_superuser', 'session_authorization', 'server_version', 'server_encoding', 'in_hot_standby', 'default_transaction_read_only']);

/** Canonical spellings of reported names, as PostgreSQL sends them. */
const DISPLAY_NAME: Record<string, string> = {
  datestyle: 'DateStyle',
  intervalstyle: 'IntervalStyle',
  timezone: 'TimeZone',
};

/** Settings the proxy answers itself. */
const CLIENT_SIDE = new Set(['application_name', 'client_encoding', 'datestyle', 'intervalstyle', 'timezone', 'extra_float_digits', 'client_min_messages', 'standard_conforming_strings', 'integer_datetimes', 'server_version', 'server_version_num', 'server_encoding', 'is_superuser', 'session_authorization', 'in_hot_standby', 'default_transaction_read_only', 'bytea_output']);

export function displayName(name: string): string {
  return DISPLAY_NAME[name] ?? name;
}

interface Snapshot {
  client: Map<string, string>;
  server: Map<string, string>;
  locals: Map<string, string>;
}

export interface ServerFacts {
  serverVersion: string;
  serverVersionNum: string;
  isSuperuser: string;
  sessionAuthorization: string;
}

export class SessionSettings {
  private readonly client = new Map<string, string>();
  private readonly defaults = new Map<string, string>();
  private readonly server = new Map<string, string>();
  /** Client-side settings made with SET LOCAL: the session value each returns to at COMMIT. */
  private readonly locals = new Map<string, string>();

  constructor(facts: ServerFacts, startup: Readonly<Record<string, string>>) {
    const base: Record<string, string> = {
      application_name: '',
      client_encoding: 'UTF8',
      datestyle: 'ISO, MDY',
      intervalstyle: 'postgres',
      timezone: 'UTC',
      extra_float_digits: '1',
      client_min_messages: 'notice',
      standard_conforming_strings: 'on',
      integer_datetimes: 'on',
      server_version: facts.serverVersion,
      server_version_num: facts.serverVersionNum,
      server_encoding: 'UTF8',
      is_superuser: facts.isSuperuser,
      session_authorization: facts.sessionAuthorization,
      in_hot_standby: 'off',
      default_transaction_read_only: 'off',
      bytea_output: 'hex',
    };
    for (const [k, v] of Object.entries(base)) {
      this.defaults.set(k, v);
      this.client.set(k, v);
    }
    for (const [rawName, value] of Object.entries(startup)) {
      const name = rawName.toLowerCase();
      if (name === 'user' || name === 'database' || name === 'options' || name === 'replication') continue;
      if (CLIENT_SIDE.has(name)) {
        // A startup value PostgreSQL would refuse is reported by the check below; the client
        // connects either way, as it would have with a setting the server ignores.
        try {
          this.setStartupValue(name, name === 'timezone' ? startupTimeZone(value) : checkClientValue(name, value));
        } catch {
          /* keep the default */
        }
      } else {
        this.server.set(name, value);
      }
    }
    for (const [k, v] of parseOptions(startup.options ?? '')) {
      if (CLIENT_SIDE.has(k)) {
        try {
          this.setStartupValue(k, k === 'timezone' ? startupTimeZone(v) : checkClientValue(k, v));
        } catch {
          /* keep the default */
        }
      } else this.server.set(k, v);
    }
  }

  /** A value from the startup packet is also what RESET returns to, as on PostgreSQL. */
  private setStartupValue(name: string, value: string): void {
    this.client.set(name, value);
    if (!READ_ONLY.has(name)) this.defaults.set(name, value);
  }

  isClientSide(name: string): boolean {
    return CLIENT_SIDE.has(name);
  }

  /** ParameterStatus pairs for the start of a session. */
  reportedAtStartup(): [string, string][] {
    return [...REPORTED].map((n) => [displayName(n), this.client.get(n) ?? '']);
  }

  clientValue(name: string): string | undefined {
    return this.client.get(name);
  }

  /**
   * Sets a client-side setting (null: its default); returns the ParameterStatus pair to send,
   * if any. A TimeZone value must already be in PostgreSQL's spelling (client-settings.ts).
   */
  setClient(name: string, value: string | null): [string, string] | null {
    const v = this.checked(name, value);
    this.client.set(name, v);
    // A SET after a SET LOCAL in the same transaction is what remains after COMMIT.
    if (this.locals.has(name)) this.locals.set(name, v);
    return REPORTED.has(name) ? [displayName(name), v] : null;
  }

  /** SET LOCAL / set_config(…, true) inside a transaction: undone when the transaction ends. */
  setClientLocal(name: string, value: string | null): [string, string] | null {
    const v = this.checked(name, value);
    if (!this.locals.has(name)) this.locals.set(name, this.client.get(name) ?? '');
    this.client.set(name, v);
    return REPORTED.has(name) ? [displayName(name), v] : null;
  }

  /** The value a client-side setting would take (its canonical spelling), or its error. */
  checked(name: string, value: string | null): string {
    if (READ_ONLY.has(name)) {
      throw new ClientFacingError('55P02', `parameter "${name}" cannot be changed`, {}, 'ERROR');
    }
    return value === null ? (this.defaults.get(name) ?? '') : checkClientValue(name, value);
  }

  resetAllClient(): [string, string][] {
    const changed: [string, string][] = [];
    for (const [k, v] of this.defaults) {
      if (READ_ONLY.has(k)) continue;
      if (this.locals.has(k)) this.locals.set(k, v);
      if (this.client.get(k) !== v) {
        this.client.set(k, v);
        if (REPORTED.has(k)) changed.push([displayName(k), v]);
      }
    }
    return changed;
  }

  /** A remembered setting the database applies (search_path...), as the client wrote it. */
  serverValue(name: string): string | undefined {
    return this.server.get(name);
  }

  setServer(name: string, valueText: string): void {
    this.server.set(name, valueText);
  }

  resetServer(name: string | null): void {
    if (name === null) this.server.clear();
    else this.server.delete(name);
  }

  /** Whether statements need a transaction that applies the session's settings first. */
  get hasServerSettings(): boolean {
    return this.server.size > 0 || this.readOnlyByDefault;
  }

  /** default_transaction_read_only (kept here, being reported) asks for read-only transactions. */
  private get readOnlyByDefault(): boolean {
    return BOOLEAN_WORDS.get(unquote(this.client.get('default_transaction_read_only')) ?? '') === true;
  }

  // A SET made in a transaction is undone when the transaction (or the savepoint it follows)
  // rolls back, as on PostgreSQL: keep the values as they were at BEGIN and at each SAVEPOINT.
  private atBegin: Snapshot | null = null;
  private savepoints: (Snapshot & { name: string })[] = [];

  private snapshot(): Snapshot {
    return { client: new Map(this.client), server: new Map(this.server), locals: new Map(this.locals) };
  }

  /** Restores a snapshot; returns the ParameterStatus pairs of reported settings that changed. */
  private restore(to: Snapshot): [string, string][] {
    const changed: [string, string][] = [];
    for (const [k, v] of to.client) {
      if (this.client.get(k) !== v && REPORTED.has(k)) changed.push([displayName(k), v]);
    }
    this.client.clear();
    for (const [k, v] of to.client) this.client.set(k, v);
    this.server.clear();
    for (const [k, v] of to.server) this.server.set(k, v);
    this.locals.clear();
    for (const [k, v] of to.locals) this.locals.set(k, v);
    return changed;
  }

  transactionStarted(): void {
    this.atBegin = this.snapshot();
    this.savepoints = [];
  }

  /** The transaction ended; after a rollback its settings are undone (the changed reported ones are returned). */
  transactionEnded(committed: boolean): [string, string][] {
    const start = this.atBegin;
    this.atBegin = null;
    this.savepoints = [];
    if (!committed && start) {
      const changed = this.restore(start);
      this.locals.clear();
      return changed;
    }
    const changed: [string, string][] = [];
    for (const [k, v] of this.locals) {
      if (this.client.get(k) !== v && REPORTED.has(k)) changed.push([displayName(k), v]);
      this.client.set(k, v);
    }
    this.locals.clear();
    return changed;
  }

  /**
   * An error aborted the transaction: PostgreSQL undoes the settings of the aborted
   * (sub)transaction at once, i.e. back to the latest savepoint or to BEGIN.
   */
  transactionFailed(): [string, string][] {
    const to = this.savepoints.at(-1) ?? this.atBegin;
    return to ? this.restore(to) : [];
  }

  savepoint(name: string): void {
    if (this.atBegin) this.savepoints.push({ name, ...this.snapshot() });
  }

  releaseSavepoint(name: string): void {
    const at = this.savepoints.map((p) => p.name).lastIndexOf(name);
    if (at >= 0) this.savepoints.length = at;
  }

  rollbackToSavepoint(name: string): [string, string][] {
    const at = this.savepoints.map((p) => p.name).lastIndexOf(name);
    if (at < 0) return [];
    this.savepoints.length = at + 1;
    return this.restore(this.savepoints[at]);
  }

  /**
   * PostgreSQL gives a transaction the session's default_transaction_isolation (and _read_only,
   * _deferrable) as it starts. Through the Data API that takes a SET TRANSACTION as the
   * transaction's first statement: applyStatement's SELECT comes too late, having taken the
   * snapshot. Null when no such default was set.
   */
  transactionDefaults(): string | null {
    const parts: string[] = [];
    const level = unquote(this.server.get('default_transaction_isolation'));
    if (level !== undefined && ISOLATION_LEVELS.has(level)) parts.push(`ISOLATION LEVEL ${level.toUpperCase()}`);
    if (this.readOnlyByDefault) parts.push('READ ONLY');
    const deferrable = unquote(this.server.get('default_transaction_deferrable'));
    if (deferrable !== undefined && BOOLEAN_WORDS.has(deferrable)) parts.push(BOOLEAN_WORDS.get(deferrable) ? 'DEFERRABLE' : 'NOT DEFERRABLE');
    return parts.length > 0 ? `SET TRANSACTION ${parts.join(', ')}` : null;
  }

  /**
   * One statement that applies every remembered setting for the current transaction, or null.
   * Values are kept as the client wrote them and given to set_config as text, which is what
   * SET does with them too.
   */
  applyStatement(): string | null {
    if (this.server.size === 0) return null;
    const calls = [...this.server].map(([k, v]) => `pg_catalog.set_config(${quoteLiteral(k)}, ${quoteLiteral(v)}, true)`);
    return `SELECT ${calls.join(', ')}`;
  }
}

const ISOLATION_LEVELS = new Set(['serializable', 'repeatable read', 'read committed', 'read uncommitted']);
const BOOLEAN_WORDS: ReadonlyMap<string, boolean> = new Map([
  ['on', true], ['true', true], ['yes', true], ['1', true],
  ['off', false], ['false', false], ['no', false], ['0', false],
]);

/** A remembered value as PostgreSQL reads it: quotes dropped, case and spacing folded. */
function unquote(value: string | undefined): string | undefined {
  return value?.trim().replace(/^'(.*)'$/s, '$1').trim().toLowerCase().replace(/\s+/g, ' ');
}

const ENUM_VALUES: Record<string, string[]> = {
  client_min_messages: ['debug5', 'debug4', 'debug3', 'debug2', 'debug1', 'debug', 'log', 'notice', 'warning', 'error'],
  bytea_output: ['hex', 'escape'],
};

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const READ_ONLY = new Set(['server_version', 'server_version_num', 'server_encoding', 'integer_datetimes', 'is_superuser', 'in_hot_standby']);

function checkClientValue(name: string, value: string): string {
  const v = value.trim();
  switch (name) {
    case 'client_encoding': {
      const norm = v.toUpperCase().replace(/[-_]/g, '');
      if (norm === 'UTF8' || norm === 'UNICODE' || norm === 'AUTO') return 'UTF8';
      throw new ClientFacingError(
        SqlState.FEATURE_NOT_SUPPORTED,
        `aurora-pg-proxy supports only client_encoding UTF8 in Data API mode (asked: ${value})`,
        { hint: 'The Data API exchanges text as UTF-8.' },
        'ERROR',
      );
    }
    case 'datestyle': {
      const parts = v.split(/[\s,]+/).map((p) => p.toUpperCase());
      if (parts.some((p) => ['SQL', 'POSTGRES', 'GERMAN'].includes(p))) {
        throw new ClientFacingError(SqlState.FEATURE_NOT_SUPPORTED, `aurora-pg-proxy supports only DateStyle ISO in Data API mode`, {}, 'ERROR');
      }
      const order = parts.find((p) => ['MDY', 'DMY', 'YMD', 'US', 'EUROPEAN', 'NONEURO', 'NONEUROPEAN'].includes(p));
      const o = order === 'DMY' || order === 'EUROPEAN' ? 'DMY' : order === 'YMD' ? 'YMD' : 'MDY';
      return `ISO, ${o}`;
    }
    case 'intervalstyle':
      if (!['postgres', 'postgres_verbose', 'sql_standard', 'iso_8601'].includes(v.toLowerCase())) {
        throw new ClientFacingError(SqlState.INVALID_PARAMETER_VALUE, `invalid value for parameter "IntervalStyle": "${value}"`, {}, 'ERROR');
      }
      return v.toLowerCase();
    case 'extra_float_digits': {
      // parse_int(): a decimal number is rounded to the nearest integer (rint: half to even).
      const x = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v) ? Number(v) : NaN;
      if (!Number.isFinite(x)) {
        throw new ClientFacingError(SqlState.INVALID_PARAMETER_VALUE, `invalid value for parameter "extra_float_digits": "${value}"`, {}, 'ERROR');
      }
      const n = roundHalfEven(x);
      if (n < -15 || n > 3) {
        throw new ClientFacingError(SqlState.INVALID_PARAMETER_VALUE, `${n} is outside the valid range for parameter "extra_float_digits" (-15 .. 3)`, {}, 'ERROR');
      }
      return String(n);
    }
    case 'client_min_messages':
    case 'bytea_output': {
      const lower = v.toLowerCase();
      if (!ENUM_VALUES[name]!.includes(lower)) {
        throw new ClientFacingError(SqlState.INVALID_PARAMETER_VALUE, `invalid value for parameter "${name}": "${value}"`, {}, 'ERROR');
      }
      return lower === 'debug' ? 'debug2' : lower;
    }
    case 'default_transaction_read_only': {
      const b = BOOLEAN_WORDS.get(v.toLowerCase());
      if (b === undefined) {
        throw new ClientFacingError(SqlState.INVALID_PARAMETER_VALUE, `parameter "${name}" requires a Boolean value`, {}, 'ERROR');
      }
      return b ? 'on' : 'off';
    }
    case 'standard_conforming_strings':
      if (!/^(on|true|yes|1)$/i.test(v)) {
        throw new ClientFacingError(SqlState.FEATURE_NOT_SUPPORTED, 'aurora-pg-proxy requires standard_conforming_strings on in Data API mode', {}, 'ERROR');
      }
      return 'on';
    case 'timezone':
      // SET and set_config spell the value as the database does before it gets here
      // (client-settings.ts).
      return v;
    default:
      return v;
  }
}

/** A TimeZone from the startup packet: taken as the client wrote it, offsets in hours excepted. */
function startupTimeZone(value: string): string {
  const v = value.trim();
  if (!isKnownTimeZone(v) && !/^(?:[+-]?\d|[a-z]{3,}[+-]?\d)/i.test(v)) {
    throw new ClientFacingError(SqlState.INVALID_PARAMETER_VALUE, `invalid value for parameter "TimeZone": "${value}"`, {}, 'ERROR');
  }
  return hoursZoneName(v) ?? v;
}

/** `-c name=value` and `--name=value` pairs of the startup `options` parameter. */
function parseOptions(options: string): [string, string][] {
  const out: [string, string][] = [];
  const words = options.match(/(?:\\.|[^\s\\])+/g) ?? [];
  for (let i = 0; i < words.length; i++) {
    let w = words[i].replace(/\\(.)/g, '$1');
    if (w === '-c' && i + 1 < words.length) w = words[++i].replace(/\\(.)/g, '$1');
    else if (w.startsWith('--')) w = w.slice(2);
    else if (w.startsWith('-c')) w = w.slice(2);
    else continue;
    const eq = w.indexOf('=');
    if (eq > 0) out.push([w.slice(0, eq).toLowerCase().replace(/-/g, '_'), w.slice(eq + 1)]);
  }
  return out;
}
