// The Data API mode defects of issue 9 that the compatibility suite meets today, each fixed on
// its own branch. A step failing through data-api because of one of these runs as `it.fails`
// naming it; once the fix is merged the step passes, `it.fails` turns red, and the entry goes.
export const DATA_API_DEFECTS = {
  /**
   * #1: a statement Describe (Postgres.js sends one before Bind) is answered by running the
   * statement with NULL parameters in a rolled-back transaction; each run consumes a sequence
   * value, so the inserted rows get ids 2 and 4 instead of 1 and 2.
   */
  describeRunsDml: 'issue 9 #1, data-api Describe executes the DML (sequence values consumed)',
  /** #2: Sequelize's connection set-up `SET TIME ZONE INTERVAL '+00:00' HOUR TO MINUTE` gets 0A000. */
  sequelizeTimeZone: "issue 9 #2, data-api refuses SET TIME ZONE INTERVAL '+00:00' HOUR TO MINUTE",
  /** #3: Django's iterator() declares a WITH HOLD cursor outside a transaction; FETCH gets 34000. */
  withHoldCursor: 'issue 9 #3, data-api loses WITH HOLD cursors outside a transaction (Django iterator)',
  /** #5: RowDescription has no table OID or column number, so pgJDBC knows no table or nullability. */
  jdbcTableMetadata: 'issue 9 #5, data-api RowDescription lacks table OID and column number (pgJDBC metadata)',
  /** #8: a unique violation arrives without the schema, table and constraint fields (s, t, n). */
  errorFields: 'issue 9 #8, data-api errors lack schema/table/constraint fields (n/t/s/c)',
} as const;
