// The schema, table, column, data type and constraint names PostgreSQL puts in an ErrorResponse
// (fields s, t, c, d, n) are dropped by the Data API, which returns only the message text. For
// the errors that carry them (integrity violations and domain checks: errtable(),
// errtablecol(), errtableconstraint(), errdomainconstraint() in PostgreSQL 15) the message names
// most of them; this reads them back. What the message does not name (the schema, and for
// unique and exclusion violations the table) is left for a catalogue lookup, described here.
//
// Other errors (42P01 undefined table, 42703 undefined column, 42883, 42P07, 42701, 22P02...)
// carry none of these fields on PostgreSQL either, so nothing is added to them.

export interface NamedFields {
  schema?: string;
  table?: string;
  column?: string;
  dataType?: string;
  constraint?: string;
}

/** What to ask the catalogue to find the missing schema (and table). */
export type CatalogueQuestion =
  /** The table an index (of a unique, primary key or exclusion constraint) belongs to. */
  | { kind: 'index-table'; index: string }
  /** The schema of a table having this constraint. */
  | { kind: 'constraint-table'; constraint: string; table: string }
  /** The schema of a table (having this column). */
  | { kind: 'table'; table: string; column?: string }
  /** The schema of a domain. */
  | { kind: 'domain'; name: string }
  /**
   * PostgreSQL 13 names only the column of a not-null violation: the table (and schema) is the
   * one among those the statement names that has the column (the caller fills `tables`).
   */
  | { kind: 'column-table'; column: string; tables: string[] };

export interface ErrorNames {
  fields: NamedFields;
  /** Null when the message names every field PostgreSQL sends. */
  question: CatalogueQuestion | null;
}

type Reader = (m: RegExpExecArray) => ErrorNames;

const tableConstraint = (table: string, constraint: string): ErrorNames => ({
  fields: { table, constraint },
  question: { kind: 'constraint-table', constraint, table },
});

const indexConstraint = (constraint: string): ErrorNames => ({ fields: { constraint }, question: { kind: 'index-table', index: constraint } });

const PATTERNS: Record<string, [RegExp, Reader][]> = {
  '23505': [
    [/^duplicate key value violates unique constraint "(.+)"$/s, (m) => indexConstraint(m[1]!)],
    [/^could not create unique index "(.+)"$/s, (m) => indexConstraint(m[1]!)],
  ],
  '23P01': [
    [/^conflicting key value violates exclusion constraint "(.+)"$/s, (m) => indexConstraint(m[1]!)],
    [/^could not create exclusion constraint "(.+)"$/s, (m) => indexConstraint(m[1]!)],
  ],
  '23503': [
    // ri_ReportViolation reports the referencing table in both directions.
    [/^insert or update on table "(.+)" violates foreign key constraint "(.+)"$/s, (m) => tableConstraint(m[1]!, m[2]!)],
    [/^update or delete on table "(.+)" violates foreign key constraint "(.+)" on table "(.+)"$/s, (m) => tableConstraint(m[3]!, m[2]!)],
  ],
  '23502': [
    [/^null value in column "(.+)" of relation "(.+)" violates not-null constraint$/s, (m) => tableColumn(m[2]!, m[1]!)],
    [/^null value in column "(.+)" violates not-null constraint$/s, (m) => ({ fields: { column: m[1]! }, question: { kind: 'column-table', column: m[1]!, tables: [] } })],
    [/^column "(.+)" of relation "(.+)" contains null values$/s, (m) => tableColumn(m[2]!, m[1]!)],
    [/^domain (.+) does not allow null values$/s, (m) => domain(m[1]!, undefined)],
  ],
  '23514': [
    [/^new row for relation "(.+)" violates check constraint "(.+)"$/s, (m) => tableConstraint(m[1]!, m[2]!)],
    [/^check constraint "(.+)" of relation "(.+)" is violated by some row$/s, (m) => tableConstraint(m[2]!, m[1]!)],
    [/^new row for relation "(.+)" violates partition constraint$/s, (m) => ({ fields: { table: m[1]! }, question: { kind: 'table', table: m[1]! } })],
    [/^value for domain (.+) violates check constraint "(.+)"$/s, (m) => domain(m[1]!, m[2]!)],
  ],
};

function tableColumn(table: string, column: string): ErrorNames {
  return { fields: { table, column }, question: { kind: 'table', table, column } };
}

/** format_type_be() prints a domain schema-qualified when it is not visible, each part quoted as needed. */
function domain(printed: string, constraint: string | undefined): ErrorNames {
  const parts = splitQualifiedName(printed);
  const withConstraint = constraint === undefined ? {} : { constraint };
  if (parts === null) return { fields: { ...withConstraint }, question: null };
  if (parts.length === 2) return { fields: { schema: parts[0], dataType: parts[1], ...withConstraint }, question: null };
  return { fields: { dataType: parts[0], ...withConstraint }, question: { kind: 'domain', name: parts[0]! } };
}

/** `name`, `schema.name`, `"Odd ""Name"""`: the parts of a name as quote_identifier() printed it. */
export function splitQualifiedName(text: string): string[] | null {
  const parts: string[] = [];
  let i = 0;
  while (i <= text.length) {
    if (text[i] === '"') {
      let part = '';
      i++;
      for (;;) {
        if (i >= text.length) return null;
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            part += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        part += text[i++];
      }
      parts.push(part);
    } else {
      const m = /^[^."]+/.exec(text.slice(i));
      if (!m) return null;
      parts.push(m[0]);
      i += m[0].length;
    }
    if (i === text.length) break;
    if (text[i] !== '.') return null;
    i++;
  }
  return parts.length === 1 || parts.length === 2 ? parts : null;
}

/** The names an error's message gives, and what the catalogue must tell; null when it names none. */
export function namesInError(code: string, message: string): ErrorNames | null {
  for (const [pattern, read] of PATTERNS[code] ?? []) {
    const m = pattern.exec(message);
    if (m) return read(m);
  }
  return null;
}
