// Recovers PostgreSQL's error fields from the text the Data API puts in DatabaseErrorException:
//   ERROR: <message>[; Detail: …][; Hint: …][; Position: N][; Where: …]; SQLState: XXXXX
// The message itself may contain "; ", so fields are peeled off from the right, by name.
// The older (v1) form puts fields after "\n  " instead: "ERROR: msg\n  Detail: …; SQLState: X".

export interface ParsedDatabaseError {
  severity: 'ERROR' | 'FATAL' | 'PANIC';
  code: string;
  message: string;
  detail?: string;
  hint?: string;
  position?: number;
  where?: string;
  /** Present only if the service ever passes them on (error-names.ts recovers them otherwise). */
  schema?: string;
  table?: string;
  column?: string;
  dataType?: string;
  constraint?: string;
}

const TRAILING_FIELD = /(?:;|\n) +(Detail|Hint|Position|Where|Internal Query|Internal Position|Routine|File|Line|Schema|Table|Column|Datatype|Constraint): ((?:(?!(?:;|\n) +(?:Detail|Hint|Position|Where|SQLState|Internal Query|Internal Position|Routine|File|Line|Schema|Table|Column|Datatype|Constraint): )[\s\S])*)$/;

export function parseDatabaseErrorText(text: string): ParsedDatabaseError | null {
  const state = /;\s*SQLState: ([0-9A-Z]{5})\s*$/.exec(text);
  if (!state) return null;
  let rest = text.slice(0, state.index);
  const fields: Record<string, string> = {};
  for (let guard = 0; guard < 16; guard++) {
    const m = TRAILING_FIELD.exec(rest);
    if (!m) break;
    fields[m[1]] ??= m[2];
    rest = rest.slice(0, m.index);
  }
  const sev = /^(ERROR|FATAL|PANIC): ?/.exec(rest);
  const severity = (sev?.[1] as ParsedDatabaseError['severity'] | undefined) ?? 'ERROR';
  const message = sev ? rest.slice(sev[0].length) : rest;
  const position = fields.Position !== undefined ? Number(fields.Position) : undefined;
  return {
    severity,
    code: state[1],
    message,
    detail: fields.Detail,
    hint: fields.Hint,
    position: position !== undefined && Number.isInteger(position) ? position : undefined,
    where: fields.Where,
    ...(fields.Schema !== undefined ? { schema: fields.Schema } : {}),
    ...(fields.Table !== undefined ? { table: fields.Table } : {}),
    ...(fields.Column !== undefined ? { column: fields.Column } : {}),
    ...(fields.Datatype !== undefined ? { dataType: fields.Datatype } : {}),
    ...(fields.Constraint !== undefined ? { constraint: fields.Constraint } : {}),
  };
}
