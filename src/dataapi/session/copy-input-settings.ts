// PostgreSQL's COPY reads dates and times with the session's TimeZone and DateStyle (its field
// order: '01/02/2026' is 2 January under MDY, 1 February under DMY). Through the Data API those
// two settings are the proxy's own (settings.ts) and the database runs in UTC with ISO, MDY, so
// a COPY sets the client's values for its own statements, and puts the previous ones back after
// it when it ran inside the client's transaction.
import { quoteLiteral } from '../sql/index.js';
import type { SessionSettings } from './settings.js';

const DATABASE_DEFAULTS: Record<string, string> = { timezone: 'UTC', datestyle: 'ISO, MDY' };

export interface CopyInputSettings {
  /** Returns the previous values (one column each), then sets the client's for the transaction. */
  apply: string;
  /** The statement that puts back the previous values, given what `apply` returned. */
  restore(previous: (string | undefined)[]): string;
}

export function copyInputSettings(settings: SessionSettings): CopyInputSettings | null {
  const changed = Object.keys(DATABASE_DEFAULTS)
    .map((name) => ({ name, value: settings.clientValue(name) }))
    .filter((s): s is { name: string; value: string } => s.value !== undefined && s.value !== DATABASE_DEFAULTS[s.name]);
  if (changed.length === 0) return null;
  // A target list is evaluated in order: the previous values are read before the new are set.
  const apply =
    'SELECT ' +
    [
      ...changed.map((s) => `pg_catalog.current_setting(${quoteLiteral(s.name)})`),
      ...changed.map((s) => `pg_catalog.set_config(${quoteLiteral(s.name)}, ${quoteLiteral(s.value)}, true)`),
    ].join(', ');
  return {
    apply,
    restore: (previous) =>
      'SELECT ' +
      changed
        .map((s, i) => `pg_catalog.set_config(${quoteLiteral(s.name)}, ${quoteLiteral(previous[i] ?? DATABASE_DEFAULTS[s.name])}, true)`)
        .join(', '),
  };
}
