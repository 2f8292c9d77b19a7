// Names read back from Data API error texts (live service v2 and v1 layouts), and the choice
// among catalogue candidates. The field values are checked against PostgreSQL itself in
// test/integration/dataapi-error-fields.test.ts.
import { describe, expect, it } from 'vitest';
import { parseDatabaseErrorText } from '../../src/dataapi/client/error-text.js';
import { namesInError, splitQualifiedName } from '../../src/dataapi/client/error-names.js';
import { catalogueQuery, choose, splitPath } from '../../src/dataapi/session/error-fields.js';

function namesOf(serviceText: string) {
  const parsed = parseDatabaseErrorText(serviceText);
  if (!parsed) throw new Error(`not a database error text: ${serviceText}`);
  return namesInError(parsed.code, parsed.message);
}

describe('names in Data API error texts', () => {
  it('reads the live service examples (v2 and v1 layouts)', () => {
    expect(namesOf('ERROR: null value in column "name" of relation "proxy_test" violates not-null constraint; SQLState: 23502')).toEqual({
      fields: { table: 'proxy_test', column: 'name' },
      question: { kind: 'table', table: 'proxy_test', column: 'name' },
    });
    expect(
      namesOf('ERROR: duplicate key value violates unique constraint "episodes_pk"\n  Detail: Key (episode_pid)=(m001q2mq) already exists.; SQLState: 23505'),
    ).toEqual({ fields: { constraint: 'episodes_pk' }, question: { kind: 'index-table', index: 'episodes_pk' } });
    expect(namesOf('ERROR: insert or update on table "child" violates foreign key constraint "child_pid_fkey"; SQLState: 23503')).toEqual({
      fields: { table: 'child', constraint: 'child_pid_fkey' },
      question: { kind: 'constraint-table', constraint: 'child_pid_fkey', table: 'child' },
    });
  });

  it('reports the referencing table of a foreign key in both directions', () => {
    expect(namesInError('23503', 'update or delete on table "parent" violates foreign key constraint "child_pid_fkey" on table "child"')?.fields).toEqual({
      table: 'child',
      constraint: 'child_pid_fkey',
    });
  });

  it('reads domains, qualified or not, quoted or not', () => {
    expect(namesInError('23514', 'value for domain es.posint violates check constraint "posint_check"')).toEqual({
      fields: { schema: 'es', dataType: 'posint', constraint: 'posint_check' },
      question: null,
    });
    expect(namesInError('23502', 'domain "My Schema"."my ""dom""" does not allow null values')?.fields).toEqual({ schema: 'My Schema', dataType: 'my "dom"' });
    expect(namesInError('23502', 'domain nn does not allow null values')).toEqual({ fields: { dataType: 'nn' }, question: { kind: 'domain', name: 'nn' } });
    expect(splitQualifiedName('a.b.c')).toBeNull();
    expect(splitQualifiedName('"unterminated')).toBeNull();
  });

  it('adds nothing where PostgreSQL sends no names', () => {
    expect(namesInError('42P01', 'relation "nope" does not exist')).toBeNull();
    expect(namesInError('42703', 'column "x" does not exist')).toBeNull();
    expect(namesInError('23505', 'some other wording')).toBeNull();
  });

  it('quotes names in catalogue queries', () => {
    expect(catalogueQuery({ kind: 'index-table', index: "o'brien_pkey" })).toContain("i.relname = 'o''brien_pkey'");
  });
});

describe('choosing among same-named candidates', () => {
  const a = { schema: 'a', name: 'items' };
  const b = { schema: 'b', name: 'items' };
  it('prefers the table the statement qualifies, then search_path order', () => {
    expect(choose([a, b], 'insert into b.items values (1)', ['a', 'public'])).toEqual(b);
    expect(choose([a, b], 'insert into items values (1)', ['b', 'a'])).toEqual(b);
    expect(choose([a, b], 'insert into items values (1)', ['a', 'b'])).toEqual(a);
  });
  it('prefers the table the statement names', () => {
    const orders = { schema: 'x', name: 'orders' };
    expect(choose([a, orders], 'insert into orders values (1)', [])).toEqual(orders);
  });
  it('gives no answer on a tie', () => {
    expect(choose([a, b], 'insert into items values (1)', ['public'])).toBeNull();
    expect(choose([], 'x', [])).toBeNull();
  });
  it('splits search_path as PostgreSQL does', () => {
    expect(splitPath('"$user", public')).toEqual(['$user', 'public']);
    expect(splitPath('B, "Mixed ""S""",c')).toEqual(['b', 'Mixed "S"', 'c']);
  });
});

describe('PostgreSQL 13 not-null violations', () => {
  it('name only the column; the table is looked up among those the statement names', () => {
    expect(namesInError('23502', 'null value in column "n" violates not-null constraint')).toEqual({
      fields: { column: 'n' },
      question: { kind: 'column-table', column: 'n', tables: [] },
    });
    const sql = catalogueQuery({ kind: 'column-table', column: 'n', tables: ['parent', 'x'] });
    expect(sql).toContain("a.attname = 'n'");
    expect(sql).toContain("t.relname IN ('parent', 'x')");
  });
});
