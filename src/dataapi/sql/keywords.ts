// PostgreSQL 15 keyword categories, as reported by `SELECT word, catcode FROM pg_get_keywords()`.
// Unreserved keywords are omitted: every word not listed here behaves as an unreserved keyword.

export type KeywordCategory = 'unreserved' | 'col_name' | 'type_func_name' | 'reserved';

const RESERVED = new Set(
  'all analyse analyze and any array as asc asymmetric both case cast check collate column constraint create current_catalog current_date current_role current_time current_timestamp current_user default deferrable desc distinct do else end except false fetch for foreign from grant group having in initially intersect into lateral leading limit localtime localtimestamp not null offset on only or order placing primary references returning select session_user some symmetric table then to trailing true union unique user using variadic when where window with'.split(
    ' ',
  ),
);

const TYPE_FUNC_NAME = new Set(
  'authorization binary collation concurrently cross current_schema freeze full ilike inner is isnull join left like natural notnull outer overlaps right similar tablesample verbose'.split(
    ' ',
  ),
);

const COL_NAME = new Set(
  'between bigint bit boolean char character coalesce dec decimal exists extract float greatest grouping inout int integer interval least national nchar none normalize nullif numeric out overlay position precision real row setof smallint substring time timestamp treat trim values varchar xmlattributes xmlconcat xmlelement xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable'.split(
    ' ',
  ),
);

/** The category of a lower-cased bare word; anything else is an identifier or unreserved keyword. */
export function keywordCategory(word: string): KeywordCategory {
  if (RESERVED.has(word)) return 'reserved';
  if (TYPE_FUNC_NAME.has(word)) return 'type_func_name';
  if (COL_NAME.has(word)) return 'col_name';
  return 'unreserved';
}

/** Grammar's ColId: an identifier, unreserved or column-name keyword. */
export function isColId(word: string): boolean {
  const c = keywordCategory(word);
  return c === 'unreserved' || c === 'col_name';
}

/** Grammar's NonReservedWord: anything but a fully reserved keyword. */
export function isNonReservedWord(word: string): boolean {
  return keywordCategory(word) !== 'reserved';
}
