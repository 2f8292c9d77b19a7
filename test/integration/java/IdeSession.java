// What DBeaver and DataGrip send through pgJDBC, replayed against aurora-pg-proxy's Data API mode
// (and, for comparison, straight against PostgreSQL). Source-file mode:
//   java -cp postgresql.jar IdeSession.java <jdbc-url>
// Default driver properties, as DBeaver uses them (extended protocol, prepareThreshold 5, binary
// transfer), every statement through a PreparedStatement. Prints KEY=value lines that
// test/integration/dataapi-ide.test.ts compares between the two runs; a value that differs from
// run to run by nature (a transaction id, an age) is printed as a fact about it instead.
// The schema `ide` (created once by the test) is only read; `ide_edit` is recreated by the test
// before each run, so the data editor's changes start from the same rows every time.
// A failure outside the steps that expect one prints ERROR=<sqlstate> <message> and exits 1.
import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.SQLXML;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.postgresql.PGStatement;
import org.postgresql.geometric.PGbox;
import org.postgresql.geometric.PGpoint;
import org.postgresql.util.PGInterval;
import org.postgresql.util.PGobject;

public class IdeSession {
  public static void main(String[] args) {
    if (args.length != 1) {
      System.out.println("ERROR=usage: IdeSession <jdbc-url>");
      System.exit(2);
    }
    try {
      run(args[0]);
      System.out.println("DONE=ok");
    } catch (SQLException e) {
      System.out.println("ERROR=" + e.getSQLState() + " " + String.valueOf(e.getMessage()).replace('\n', ' '));
      System.exit(1);
    } catch (Exception e) {
      System.out.println("ERROR=" + e);
      System.exit(1);
    }
    System.exit(0); // the cancel helper thread must not keep the JVM alive
  }

  private static Connection open(String url) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", "postgres"); // no password: the proxy holds no database login
    return DriverManager.getConnection(url, props);
  }

  private static void run(String url) throws Exception {
    try (Connection conn = open(url)) {
      dbeaverConnect(conn);
      dbeaverNavigator(conn);
      dataEditor(conn);
      manualCommit(conn);
      explain(conn);
      cancel(conn);
      sessionControls(conn);
      dataGrip(conn);
    }
    readOnlyConnection(url);
  }

  /** DBeaver's "Read-only connection": pgJDBC's readOnly with readOnlyMode=always. */
  private static void readOnlyConnection(String url) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", "postgres");
    props.setProperty("readOnly", "true");
    props.setProperty("readOnlyMode", "always");
    try (Connection ro = DriverManager.getConnection(url, props)) {
      System.out.println("READONLY_FLAG=" + ro.isReadOnly());
      query(ro, "READONLY_DEFAULT", "SHOW default_transaction_read_only");
      query(ro, "READONLY_IN_STATEMENT", "SELECT current_setting('transaction_read_only'), count(*) FROM ide_edit.items");
      for (boolean autoCommit : new boolean[] {true, false}) {
        ro.setAutoCommit(autoCommit);
        try (PreparedStatement ps = ro.prepareStatement("UPDATE ide_edit.items SET c_text = 'written' WHERE id = 13")) {
          System.out.println("READONLY_WRITE=" + ps.executeUpdate());
        } catch (SQLException e) {
          System.out.println("READONLY_WRITE=" + e.getSQLState() + " " + e.getMessage().replace('\n', ' '));
        }
        if (!autoCommit) ro.rollback();
      }
      ro.setAutoCommit(true);
      System.out.println("READONLY_ROW=" + label(ro, 13));
    }
  }

  // ------------------------------------------------------------------ printing

  private static String cell(Object o) throws SQLException {
    if (o == null) return "null";
    if (o instanceof byte[]) return "bytes:" + HexFormat.of().formatHex((byte[]) o);
    if (o instanceof java.sql.Array) {
      java.sql.Array a = (java.sql.Array) o;
      return "array<" + a.getBaseTypeName() + ">:" + elements(a.getArray());
    }
    if (o instanceof PGobject) return "pgobject<" + ((PGobject) o).getType() + ">:" + ((PGobject) o).getValue();
    if (o instanceof SQLXML) return "SQLXML:" + ((SQLXML) o).getString();
    if (o instanceof BigDecimal) return "BigDecimal:" + ((BigDecimal) o).toPlainString();
    return o.getClass().getSimpleName() + ":" + o;
  }

  private static String elements(Object array) throws SQLException {
    if (array == null) return "null";
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < Array.getLength(array); i++) {
      Object e = Array.get(array, i);
      sb.append(i > 0 ? "," : "").append(e != null && e.getClass().isArray() && !(e instanceof byte[]) ? elements(e) : cell(e));
    }
    return sb.append(']').toString();
  }

  /** The columns as pgJDBC describes them from the RowDescription alone (no catalogue lookups). */
  private static String columns(ResultSetMetaData md) throws SQLException {
    StringBuilder sb = new StringBuilder();
    for (int c = 1; c <= md.getColumnCount(); c++) {
      sb.append(c > 1 ? "|" : "").append(md.getColumnLabel(c)).append(':').append(md.getColumnTypeName(c)).append(':')
          .append(md.getColumnType(c)).append(':').append(md.getPrecision(c)).append(':').append(md.getScale(c));
    }
    return sb.toString();
  }

  /** Every column of every row, read with getString and with getObject, one line a row. */
  private static int dump(String key, ResultSet rs) throws SQLException {
    ResultSetMetaData md = rs.getMetaData();
    System.out.println(key + "_COLUMNS=" + columns(md));
    int rows = 0;
    while (rs.next()) {
      StringBuilder sb = new StringBuilder();
      for (int c = 1; c <= md.getColumnCount(); c++) {
        // getString of a binary bytea is pgJDBC's byte[].toString(): keep the identity hash out.
        String text = rs.getString(c);
        if (text != null) text = text.replaceFirst("^\\[B@[0-9a-f]+$", "[B@...");
        sb.append(c > 1 ? " | " : "").append(text).append(" ~ ").append(cell(rs.getObject(c)));
      }
      // One line a row: view and function definitions, JSON plans span several.
      System.out.println(key + "=" + sb.toString().replace("\\", "\\\\").replace("\n", "\\n"));
      rows++;
    }
    System.out.println(key + "_ROWS=" + rows);
    return rows;
  }

  /** A large result as its columns, row count and a digest of what dump would print. */
  private static void digest(String key, ResultSet rs) throws Exception {
    ResultSetMetaData md = rs.getMetaData();
    System.out.println(key + "_COLUMNS=" + columns(md));
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    int rows = 0;
    while (rs.next()) {
      for (int c = 1; c <= md.getColumnCount(); c++) {
        sha.update((rs.getString(c) + " ~ " + cell(rs.getObject(c)) + "|").getBytes(StandardCharsets.UTF_8));
      }
      rows++;
    }
    System.out.println(key + "_DIGEST=" + rows + ":" + HexFormat.of().formatHex(sha.digest()));
  }

  private static int query(Connection conn, String key, String sql, Object... params) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) ps.setObject(i + 1, params[i]);
      try (ResultSet rs = ps.executeQuery()) {
        return dump(key, rs);
      }
    }
  }

  private static long longOf(Connection conn, String sql, Object... params) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) ps.setObject(i + 1, params[i]);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) throw new SQLException("no row for " + sql);
        return rs.getLong(1);
      }
    }
  }

  // ------------------------------------------------------------------ 1. DBeaver connects

  private static void dbeaverConnect(Connection conn) throws SQLException {
    // PostgreDataSource.loadAvailableDatabases / prepareReadDatabaseListStatement
    query(conn, "CONNECT_DATABASES", "SELECT db.oid,db.* FROM pg_catalog.pg_database db WHERE 1 = 1 AND datallowconn AND NOT datistemplate OR db.datname =?\nORDER BY db.datname", "postgres");
    query(conn, "CONNECT_CURRENT_DATABASE", "SELECT current_database()");
    query(conn, "CONNECT_VERSION", "SELECT version()");
    // Probes for optional catalogue columns: an empty result, but its RowDescription matters.
    query(conn, "CONNECT_ENUM_PROBE", "SELECT * FROM pg_catalog.pg_enum WHERE 1<>1 LIMIT 1");
    query(conn, "CONNECT_RELTYPE_PROBE", "SELECT reltype FROM pg_catalog.pg_class WHERE 1<>1 LIMIT 1");
    query(conn, "CONNECT_SETTING", "select * from pg_catalog.pg_settings where name=?", "standard_conforming_strings");
    // JDBCExecutionContext sets the client info; pgJDBC turns it into SET application_name.
    conn.setClientInfo("ApplicationName", "DBeaver 24.1.0 - Main <postgres>");
    System.out.println("CONNECT_CLIENT_INFO=" + conn.getClientInfo("ApplicationName"));
    query(conn, "CONNECT_APPLICATION_NAME", "SHOW application_name");
    // PostgreExecutionContext.refreshDefaults
    query(conn, "CONNECT_SCHEMA_USER", "SELECT current_schema(),session_user");
    query(conn, "CONNECT_SEARCH_PATH", "SHOW search_path");
    System.out.println("CONNECT_SERVER_VERSION=" + conn.getMetaData().getDatabaseProductVersion());
  }

  // ------------------------------------------------------------------ DBeaver's navigator

  private static void dbeaverNavigator(Connection conn) throws Exception {
    long ide = longOf(conn, "SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = ?", "ide");
    long catalog = longOf(conn, "SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = ?", "pg_catalog");
    // PostgreDatabase.SchemaCache, with a filter on the schemas the test made
    query(conn, "NAV_SCHEMAS",
        "SELECT n.oid,n.*,d.description FROM pg_catalog.pg_namespace n\n"
            + "LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=n.oid AND d.objsubid=0 AND d.classoid='pg_namespace'::regclass\n"
            + "WHERE nspname IN (?,?,?) ORDER BY nspname", "ide", "public", "pg_catalog");
    // PostgreDatabase.RoleCache, AccessMethodCache, LanguageCache, EncodingCache, TablespaceCache
    query(conn, "NAV_ROLES", "SELECT a.oid,a.* FROM pg_catalog.pg_roles a WHERE a.rolname IN (?,?)\nORDER BY a.oid", "postgres", "ide_reader");
    query(conn, "NAV_ACCESS_METHODS", "SELECT am.oid,am.* FROM pg_catalog.pg_am am \nORDER BY am.oid");
    query(conn, "NAV_LANGUAGES", "SELECT l.oid,l.* FROM pg_catalog.pg_language l \nORDER BY l.oid");
    query(conn, "NAV_ENCODINGS", "SELECT c.contoencoding as encid,pg_catalog.pg_encoding_to_char(c.contoencoding) as encname\n"
        + "FROM pg_catalog.pg_conversion c\nGROUP BY c.contoencoding\nORDER BY 2\n");
    query(conn, "NAV_TABLESPACES", "SELECT t.oid,t.* FROM pg_catalog.pg_tablespace t \nORDER BY t.oid");
    query(conn, "NAV_EXTENSIONS", "SELECT e.oid,e.*,n.nspname as schema_name FROM pg_catalog.pg_extension e\n"
        + "JOIN pg_catalog.pg_namespace n ON n.oid=e.extnamespace ORDER BY e.oid");
    // PostgreDataTypeCache: every type of a schema (pg_catalog's are what the editor maps to)
    String types = "SELECT t.oid,t.*,c.relkind,format_type(nullif(t.typbasetype, 0), t.typtypmod) as base_type_name, d.description\n"
        + "FROM pg_catalog.pg_type t\n"
        + "LEFT OUTER JOIN pg_catalog.pg_class c ON c.oid=t.typrelid\n"
        + "LEFT OUTER JOIN pg_catalog.pg_description d ON t.oid=d.objoid\n"
        + "WHERE t.typname IS NOT NULL AND (c.relkind IS NULL OR c.relkind = 'c') AND t.typnamespace=?\nORDER BY t.oid";
    query(conn, "NAV_TYPES_IDE", types, ide);
    int catalogTypes = query(conn, "NAV_TYPES_CATALOG", types, catalog);
    System.out.println("NAV_TYPES_CATALOG_COUNT=" + catalogTypes);
    query(conn, "NAV_ENUM_VALUES", "SELECT e.enumtypid,e.enumlabel,e.enumsortorder FROM pg_catalog.pg_enum e\n"
        + "WHERE e.enumtypid IN (SELECT oid FROM pg_catalog.pg_type WHERE typnamespace=?) ORDER BY e.enumtypid, e.enumsortorder", ide);
    // PostgreSchema.TableCache: tables, views, materialized views and sequences of the schema
    query(conn, "NAV_TABLES",
        "SELECT c.oid,c.*,d.description,(select array_agg(i.inhparent) from pg_catalog.pg_inherits i where i.inhrelid = c.oid) parents\n"
            + "FROM pg_catalog.pg_class c\n"
            + "LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=c.oid AND d.objsubid=0 AND d.classoid='pg_class'::regclass\n"
            + "WHERE c.relnamespace=? AND c.relkind not in ('i','I','c')\nORDER BY c.relname", ide);
    // The columns of each table, with one cached statement (DBeaver's statmentCache): after
    // prepareThreshold executions pgJDBC switches it to a named statement with binary results.
    List<Long> tables = new ArrayList<>();
    List<String> tableNames = new ArrayList<>();
    try (PreparedStatement ps = conn.prepareStatement(
        "SELECT c.oid, c.relname FROM pg_catalog.pg_class c WHERE c.relnamespace=? AND c.relkind in ('r','v','m','p','f') ORDER BY c.relname")) {
      ps.setLong(1, ide);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          tables.add(rs.getLong(1));
          tableNames.add(rs.getString(2));
        }
      }
    }
    try (PreparedStatement ps = conn.prepareStatement(
        "SELECT c.relname,a.*,pg_catalog.pg_get_expr(ad.adbin, ad.adrelid, true) as def_value,dsc.description,dep.objid\n"
            + "FROM pg_catalog.pg_attribute a\n"
            + "INNER JOIN pg_catalog.pg_class c ON (a.attrelid=c.oid)\n"
            + "LEFT OUTER JOIN pg_catalog.pg_attrdef ad ON (a.attrelid=ad.adrelid AND a.attnum = ad.adnum)\n"
            + "LEFT OUTER JOIN pg_catalog.pg_description dsc ON (c.oid=dsc.objoid AND a.attnum = dsc.objsubid)\n"
            + "LEFT OUTER JOIN pg_depend dep on dep.refobjid = a.attrelid AND dep.deptype = 'i' and dep.refobjsubid = a.attnum and dep.classid = dep.refclassid\n"
            + "WHERE NOT a.attisdropped AND c.relkind not in ('i','I','c') AND c.oid=?\nORDER BY a.attnum")) {
      for (int round = 0; round < 2; round++) {
        for (int i = 0; i < tables.size(); i++) {
          ps.setLong(1, tables.get(i));
          try (ResultSet rs = ps.executeQuery()) {
            dump("NAV_COLUMNS_" + tableNames.get(i), rs);
          }
        }
      }
      System.out.println("NAV_COLUMNS_SERVER_PREPARED=" + ps.unwrap(PGStatement.class).isUseServerPrepare());
    }
    // The same per table with format_type, as the properties editor shows a column's type
    query(conn, "NAV_COLUMN_TYPES",
        "SELECT a.attrelid::regclass::text, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull, a.atttypmod, a.attidentity, a.attgenerated\n"
            + "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid=a.attrelid\n"
            + "WHERE c.relnamespace=? AND a.attnum>0 AND NOT a.attisdropped ORDER BY 1, a.attnum", ide);
    // PostgreSchema.ConstraintCache
    query(conn, "NAV_CONSTRAINTS",
        "SELECT c.oid,c.*,t.relname as tabrelname,rt.relnamespace as refnamespace,d.description, case when c.contype='c' then \"substring\"(pg_get_constraintdef(c.oid), 7) else null end consrc_copy\n"
            + "FROM pg_catalog.pg_constraint c\n"
            + "INNER JOIN pg_catalog.pg_class t ON t.oid=c.conrelid\n"
            + "LEFT OUTER JOIN pg_catalog.pg_class rt ON rt.oid=c.confrelid\n"
            + "LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=c.oid AND d.objsubid=0 AND d.classoid='pg_constraint'::regclass\n"
            + "WHERE t.relnamespace=?\nORDER BY c.oid", ide);
    query(conn, "NAV_CONSTRAINT_DEFS", "SELECT conname, pg_catalog.pg_get_constraintdef(oid, true) FROM pg_catalog.pg_constraint WHERE connamespace=? ORDER BY conname", ide);
    // PostgreSchema.IndexCache
    query(conn, "NAV_INDEXES",
        "SELECT i.*,i.indkey as keys,c.relname,c.relnamespace,c.relam,c.reltablespace,tc.relname as tabrelname,dsc.description,"
            + "pg_catalog.pg_get_expr(i.indpred, i.indrelid) as pred_expr,pg_catalog.pg_get_expr(i.indexprs, i.indrelid, true) as expr,"
            + "pg_catalog.pg_relation_size(i.indexrelid) as index_rel_size,pg_catalog.pg_stat_get_numscans(i.indexrelid) as index_num_scans\n"
            + "FROM pg_catalog.pg_index i\n"
            + "INNER JOIN pg_catalog.pg_class c ON c.oid=i.indexrelid\n"
            + "INNER JOIN pg_catalog.pg_class tc ON tc.oid=i.indrelid\n"
            + "LEFT OUTER JOIN pg_catalog.pg_description dsc ON i.indexrelid=dsc.objoid\n"
            + "WHERE  c.relnamespace=? ORDER BY tabrelname, c.relname", ide);
    query(conn, "NAV_INDEX_DEFS", "SELECT indexrelid::regclass::text, pg_catalog.pg_get_indexdef(indexrelid), pg_catalog.pg_get_indexdef(indexrelid, 1, true)\n"
        + "FROM pg_catalog.pg_index WHERE indrelid IN (SELECT oid FROM pg_catalog.pg_class WHERE relnamespace=?) ORDER BY 1", ide);
    // PostgreSequence.loadAdditionalInfo
    query(conn, "NAV_SEQUENCES", "SELECT s.*, c.relname FROM pg_catalog.pg_sequence s JOIN pg_catalog.pg_class c ON c.oid=s.seqrelid WHERE c.relnamespace=? ORDER BY c.relname", ide);
    query(conn, "NAV_SEQUENCE_STATE", "SELECT last_value, is_called FROM ide.ticket_seq");
    // PostgreSchema.ProceduresCache
    query(conn, "NAV_FUNCTIONS",
        "SELECT p.oid,p.*,d.description\n"
            + "FROM pg_catalog.pg_proc p\n"
            + "LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=p.oid AND d.objsubid=0 AND d.classoid='pg_proc'::regclass\n"
            + "WHERE p.pronamespace=?\nORDER BY p.proname", ide);
    // Expanding pg_catalog's functions: a result over the Data API's 1 MiB, with "char", oidvector
    // and aclitem[] columns that the Data API cannot return.
    try (PreparedStatement ps = conn.prepareStatement(
        "SELECT p.oid,p.*,d.description\n"
            + "FROM pg_catalog.pg_proc p\n"
            + "LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=p.oid AND d.objsubid=0 AND d.classoid='pg_proc'::regclass\n"
            + "WHERE p.pronamespace=?\nORDER BY p.proname, p.oid")) {
      ps.setLong(1, catalog);
      try (ResultSet rs = ps.executeQuery()) {
        digest("NAV_FUNCTIONS_CATALOG", rs);
      }
    }
    query(conn, "NAV_FUNCTION_SOURCE", "SELECT p.proname, pg_catalog.pg_get_functiondef(p.oid) FROM pg_catalog.pg_proc p WHERE p.pronamespace=? AND p.prokind <> 'a' ORDER BY 1", ide);
    // PostgreTableBase triggers, view definition, table statistics
    query(conn, "NAV_TRIGGERS", "SELECT x.oid,x.*,p.pronamespace as func_schema_id,d.description\n"
        + "FROM pg_catalog.pg_trigger x\nLEFT OUTER JOIN pg_catalog.pg_proc p ON p.oid=x.tgfoid\n"
        + "LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=x.oid\n"
        + "WHERE x.tgrelid IN (SELECT oid FROM pg_catalog.pg_class WHERE relnamespace=?) AND NOT x.tgisinternal ORDER BY x.tgname", ide);
    query(conn, "NAV_VIEW_DEFS", "SELECT c.relname, pg_catalog.pg_get_viewdef(c.oid, true) FROM pg_catalog.pg_class c WHERE c.relnamespace=? AND c.relkind IN ('v','m') ORDER BY 1", ide);
    query(conn, "NAV_DEPENDENCIES", "SELECT classid::regclass::text, objsubid, refclassid::regclass::text, refobjsubid, deptype FROM pg_catalog.pg_depend\n"
        + "WHERE refobjid IN (SELECT oid FROM pg_catalog.pg_class WHERE relnamespace=? AND relname = ?) ORDER BY 1, 2, 3, 4, 5", ide, "customers");
  }

  // ------------------------------------------------------------------ 2. the data editor

  private static final String EDITOR_SELECT = "SELECT * FROM ide_edit.items";

  private static void dataEditor(Connection conn) throws SQLException {
    // Opening the table and pressing refresh a few times: the 6th run is server-prepared (binary).
    for (int round = 1; round <= 6; round++) {
      try (PreparedStatement ps = conn.prepareStatement(EDITOR_SELECT)) {
        ps.setFetchSize(200);
        ps.setMaxRows(200);
        try (ResultSet rs = ps.executeQuery()) {
          if (round == 1 || round == 6) {
            System.out.println("EDIT_SERVER_PREPARED_" + round + "=" + ps.unwrap(PGStatement.class).isUseServerPrepare());
            editorMetadata(rs.getMetaData());
            dump("EDIT_ROWS_" + round, rs);
          } else {
            int n = 0;
            while (rs.next()) n++;
            System.out.println("EDIT_ROWS_" + round + "_ROWS=" + n);
          }
        }
      }
    }
    // A table with user-defined types: an enum, a domain and a composite column
    try (PreparedStatement ps = conn.prepareStatement("SELECT * FROM ide.customers ORDER BY id")) {
      ps.setFetchSize(200);
      ps.setMaxRows(200);
      try (ResultSet rs = ps.executeQuery()) {
        dump("EDIT_CUSTOMERS", rs);
      }
    }
    // Saving an edited cell: UPDATE by the row's key
    try (PreparedStatement ps = conn.prepareStatement("UPDATE ide_edit.items SET c_text=?,c_numeric=?,c_timestamptz=? WHERE id=?")) {
      ps.setString(1, "edited ✓");
      ps.setBigDecimal(2, new BigDecimal("-0.125"));
      ps.setObject(3, java.time.OffsetDateTime.parse("2024-03-31T01:30:00+01:00"));
      ps.setInt(4, 7);
      System.out.println("EDIT_UPDATE=" + ps.executeUpdate());
    }
    query(conn, "EDIT_AFTER_UPDATE", "SELECT id, c_text, c_numeric, c_timestamptz FROM ide_edit.items WHERE id=?", 7);
    // Saving cells of types the value editors bind as objects (pgJDBC's PG* classes, Types.OTHER)
    try (PreparedStatement ps = conn.prepareStatement(
        "UPDATE ide_edit.items SET c_mood=?,c_interval=?,c_point=?,c_inet=?,c_json=?,c_bit=?,c_timetz=?,c_text_array=?,c_bytea=?,c_char=?,c_float4=?,c_time=? WHERE id=?")) {
      ps.setObject(1, "sad", Types.OTHER);
      ps.setObject(2, new PGInterval("1 year 2 mons 3 days 04:05:06.5"));
      ps.setObject(3, new PGpoint(-1.5, 2.25));
      PGobject inet = new PGobject();
      inet.setType("inet");
      inet.setValue("192.168.0.0/16");
      ps.setObject(4, inet);
      PGobject json = new PGobject();
      json.setType("json");
      json.setValue("[1, {\"a\": null}]");
      ps.setObject(5, json);
      ps.setObject(6, "1010", Types.OTHER);
      ps.setObject(7, java.time.OffsetTime.parse("23:59:59.999999-09:30"));
      ps.setArray(8, conn.createArrayOf("text", new String[] {"x,y", null, "\"q\"", ""}));
      ps.setBytes(9, new byte[] {0, (byte) 255, 10});
      ps.setString(10, "ab");
      ps.setFloat(11, 1.0e-7f);
      ps.setTime(12, java.sql.Time.valueOf("23:59:58"));
      ps.setInt(13, 12);
      System.out.println("EDIT_UPDATE_TYPES=" + ps.executeUpdate());
    }
    query(conn, "EDIT_AFTER_UPDATE_TYPES", "SELECT * FROM ide_edit.items WHERE id=?", 12);
    // pgJDBC binds PGbox and PGpoint in binary; corners given low first come back in order
    query(conn, "EDIT_GEOMETRY", "SELECT ?::box, ?, area(?::box)", new PGbox(-1, -2, 3.5, 4), new PGpoint(0.1, -1e300), new PGbox(0, 0, 2, 3));
    // Adding a row: pgJDBC appends RETURNING * for RETURN_GENERATED_KEYS
    long newId;
    try (PreparedStatement ps = conn.prepareStatement(
        "INSERT INTO ide_edit.items (c_int2,c_int4,c_int8,c_text,c_varchar,c_bool,c_date,c_timestamp,c_uuid,c_jsonb,c_int_array,c_mood) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        Statement.RETURN_GENERATED_KEYS)) {
      ps.setShort(1, (short) -2);
      ps.setInt(2, 123456);
      ps.setLong(3, 1L << 60);
      ps.setString(4, "new row");
      ps.setString(5, "v");
      ps.setBoolean(6, true);
      ps.setDate(7, java.sql.Date.valueOf("2024-02-29"));
      ps.setTimestamp(8, java.sql.Timestamp.valueOf("2024-02-29 23:59:59.5"));
      ps.setObject(9, java.util.UUID.fromString("11111111-2222-3333-4444-555555555555"));
      PGobject json = new PGobject();
      json.setType("jsonb");
      json.setValue("{\"k\": [1, 2]}");
      ps.setObject(10, json);
      ps.setArray(11, conn.createArrayOf("int4", new Integer[] {3, null, 5}));
      PGobject mood = new PGobject();
      mood.setType("ide.mood");
      mood.setValue("happy");
      ps.setObject(12, mood);
      System.out.println("EDIT_INSERT=" + ps.executeUpdate());
      try (ResultSet keys = ps.getGeneratedKeys()) {
        dump("EDIT_GENERATED_KEYS", keys);
      }
      newId = longOf(conn, "SELECT max(id) FROM ide_edit.items");
    }
    query(conn, "EDIT_AFTER_INSERT", "SELECT * FROM ide_edit.items WHERE id=?", newId);
    try (PreparedStatement ps = conn.prepareStatement("DELETE FROM ide_edit.items WHERE id=?")) {
      ps.setLong(1, newId);
      System.out.println("EDIT_DELETE=" + ps.executeUpdate());
      ps.setLong(1, newId);
      System.out.println("EDIT_DELETE_AGAIN=" + ps.executeUpdate());
    }
    query(conn, "EDIT_COUNT", "SELECT count(*), sum(id), max(id) FROM ide_edit.items");
  }

  /** ResultSetMetaData as the data editor reads it (RSMD lines; some need the table OID). */
  private static void editorMetadata(ResultSetMetaData md) throws SQLException {
    for (int c = 1; c <= md.getColumnCount(); c++) {
      // Computed from the RowDescription's type fields alone:
      System.out.println("EDIT_RSMD=" + md.getColumnLabel(c) + "|" + md.getColumnType(c) + "|" + md.getColumnTypeName(c) + "|"
          + md.getPrecision(c) + "|" + md.getScale(c) + "|" + md.getColumnClassName(c) + "|" + md.getColumnDisplaySize(c));
      // Looked up in the catalogue by the RowDescription's table OID and column number:
      System.out.println("EDIT_RSMD_TABLE=" + md.getColumnLabel(c) + "|" + md.getColumnName(c) + "|" + md.getTableName(c) + "|"
          + md.getSchemaName(c) + "|" + md.isNullable(c) + "|" + md.isAutoIncrement(c));
    }
  }

  // ------------------------------------------------------------------ manual commit mode

  private static String label(Connection conn, int id) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement("SELECT c_text FROM ide_edit.items WHERE id=?")) {
      ps.setInt(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : "missing";
      }
    }
  }

  private static void manualCommit(Connection conn) throws Exception {
    conn.setAutoCommit(false);
    try (PreparedStatement ps = conn.prepareStatement("UPDATE ide_edit.items SET c_text=? WHERE id=?")) {
      ps.setString(1, "rolled back");
      ps.setInt(2, 8);
      System.out.println("TX_UPDATE=" + ps.executeUpdate());
      System.out.println("TX_INSIDE=" + label(conn, 8));
      conn.rollback();
      System.out.println("TX_AFTER_ROLLBACK=" + label(conn, 8));
      ps.setString(1, "committed");
      ps.setInt(2, 8);
      System.out.println("TX_UPDATE=" + ps.executeUpdate());
      conn.commit();
    }
    System.out.println("TX_AFTER_COMMIT=" + label(conn, 8));
    // The data editor in manual-commit mode: pgJDBC reads through a named portal, 200 rows a time
    try (PreparedStatement ps = conn.prepareStatement(EDITOR_SELECT + " ORDER BY id")) {
      ps.setFetchSize(200);
      ps.setMaxRows(500);
      try (ResultSet rs = ps.executeQuery()) {
        digest("TX_PORTAL", rs);
      }
    }
    // An error in the transaction, then the editor's rollback
    try (PreparedStatement ps = conn.prepareStatement("UPDATE ide_edit.items SET c_int2=? WHERE id=?")) {
      ps.setInt(1, 70000);
      ps.setInt(2, 9);
      ps.executeUpdate();
      System.out.println("TX_ERROR=no error");
    } catch (SQLException e) {
      System.out.println("TX_ERROR=" + e.getSQLState() + " " + e.getMessage().replace('\n', ' '));
    }
    try {
      label(conn, 9);
      System.out.println("TX_AFTER_ERROR=no error");
    } catch (SQLException e) {
      System.out.println("TX_AFTER_ERROR=" + e.getSQLState());
    }
    conn.rollback();
    System.out.println("TX_RECOVERED=" + label(conn, 9));
    conn.commit();
    conn.setAutoCommit(true);
  }

  // ------------------------------------------------------------------ explain

  private static void explain(Connection conn) throws SQLException {
    query(conn, "EXPLAIN_JSON", "EXPLAIN (FORMAT JSON) SELECT * FROM ide_edit.items WHERE c_int4 > 500 ORDER BY c_text");
    query(conn, "EXPLAIN_PARAM", "EXPLAIN (COSTS OFF) SELECT * FROM ide_edit.items WHERE id = ?", 5);
  }

  // ------------------------------------------------------------------ cancel

  /** Runs the statement and cancels it from another thread after a second (as the IDE's Stop button). */
  private static String cancelled(Connection conn, String sql, boolean update) throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      Future<?> canceller = pool.submit(() -> {
        Thread.sleep(1000);
        ps.cancel();
        return null;
      });
      String outcome;
      try {
        if (update) {
          outcome = "not cancelled: " + ps.executeUpdate();
        } else {
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            outcome = "not cancelled: " + rs.getString(rs.getMetaData().getColumnCount());
          }
        }
      } catch (SQLException e) {
        outcome = e.getSQLState() + " " + e.getMessage().replace('\n', ' ');
      }
      canceller.get(10, TimeUnit.SECONDS);
      return outcome;
    } finally {
      pool.shutdownNow();
    }
  }

  private static void cancel(Connection conn) throws Exception {
    System.out.println("CANCEL=" + cancelled(conn, "SELECT pg_sleep(3), 'finished'", false));
    query(conn, "CANCEL_AFTER", "SELECT 'still usable', count(*) FROM ide_edit.items");
    // A statement that runs after the cancel is not cancelled by it
    query(conn, "CANCEL_NEXT", "SELECT pg_sleep(0.1)::text, 1");
    // Stopping an UPDATE in manual-commit mode: the transaction fails, and the rollback undoes it.
    conn.setAutoCommit(false);
    System.out.println("CANCEL_UPDATE=" + cancelled(conn, "UPDATE ide_edit.items SET c_text = 'cancelled' WHERE id = 10 AND pg_sleep(3) IS NOT NULL", true));
    try {
      System.out.println("CANCEL_UPDATE_THEN=" + label(conn, 10));
    } catch (SQLException e) {
      System.out.println("CANCEL_UPDATE_THEN=" + e.getSQLState());
    }
    conn.rollback();
    System.out.println("CANCEL_UPDATE_AFTER_ROLLBACK=" + label(conn, 10));
    conn.setAutoCommit(true);
  }

  // ------------------------------------------------------------------ DBeaver's toolbar

  private static void sessionControls(Connection conn) throws SQLException {
    System.out.println("SESSION_ISOLATION=" + conn.getTransactionIsolation());
    conn.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);
    System.out.println("SESSION_ISOLATION_SET=" + conn.getTransactionIsolation());
    conn.setAutoCommit(false);
    query(conn, "SESSION_ISOLATION_IN_TX", "SELECT current_setting('transaction_isolation')");
    conn.commit();
    conn.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
    conn.setReadOnly(true);
    query(conn, "SESSION_READ_ONLY_IN_TX", "SHOW transaction_read_only");
    try (PreparedStatement ps = conn.prepareStatement("UPDATE ide_edit.items SET c_text = 'read only' WHERE id = 11")) {
      ps.executeUpdate();
      System.out.println("SESSION_READ_ONLY_WRITE=no error");
    } catch (SQLException e) {
      System.out.println("SESSION_READ_ONLY_WRITE=" + e.getSQLState() + " " + e.getMessage().replace('\n', ' '));
    }
    conn.rollback();
    conn.setReadOnly(false);
    conn.setAutoCommit(true);
    System.out.println("SESSION_ISOLATION_RESET=" + conn.getTransactionIsolation());
    // Choosing the active schema: PostgreDatabase.setSearchPath
    try (PreparedStatement ps = conn.prepareStatement("SET search_path = \"$user\",ide")) {
      ps.execute();
    }
    query(conn, "SESSION_SEARCH_PATH", "SHOW search_path");
    query(conn, "SESSION_CURRENT_SCHEMA", "SELECT current_schema(), current_schemas(false), (SELECT count(*) FROM customers)");
    try (PreparedStatement ps = conn.prepareStatement("SET search_path = \"$user\",public")) {
      ps.execute();
    }
    query(conn, "SESSION_SEARCH_PATH_BACK", "SELECT current_schema(), current_setting('search_path')");
  }

  // ------------------------------------------------------------------ 3. DataGrip's introspection

  private static void dataGrip(Connection conn) throws SQLException {
    query(conn, "GRIP_DATABASES",
        "select N.oid::bigint as id, datname as name, D.description, datistemplate as is_template, datallowconn as allow_connections,"
            + " pg_catalog.pg_get_userbyid(N.datdba) as \"owner\", N.xmin as state_number, N.datacl\n"
            + "from pg_catalog.pg_database N left join pg_catalog.pg_shdescription D on N.oid = D.objoid\n"
            + "order by case when datname = pg_catalog.current_database() then -1::bigint else N.oid::bigint end");
    query(conn, "GRIP_SCHEMAS",
        "select N.oid::bigint as id, N.xmin as state_number, nspname as name, D.description, pg_catalog.pg_get_userbyid(N.nspowner) as owner, N.nspacl\n"
            + "from pg_catalog.pg_namespace N left join pg_catalog.pg_description D on N.oid = D.objoid\n"
            + "where nspname in (?, ?)\norder by case when nspname = pg_catalog.current_schema() then -1::bigint else N.oid::bigint end", "ide", "public");
    // Run-dependent values: what a tool shows is their type and that they make sense.
    try (PreparedStatement ps = conn.prepareStatement(
        "select pg_catalog.txid_current() as current_txid, pg_catalog.pg_current_xact_id() as xact8, pg_catalog.txid_current()::varchar::bigint as as_bigint,"
            + " pg_catalog.age(N.xmin) as age, N.xmin from pg_catalog.pg_namespace N where nspname = ?")) {
      ps.setString(1, "ide");
      try (ResultSet rs = ps.executeQuery()) {
        ResultSetMetaData md = rs.getMetaData();
        System.out.println("GRIP_TXID_COLUMNS=" + columns(md));
        rs.next();
        long txid = rs.getLong(1);
        System.out.println("GRIP_TXID=" + (txid > 0) + "|" + rs.getObject(1).getClass().getSimpleName() + "|" + (Long.parseLong(rs.getString(2)) >= txid)
            + "|" + rs.getObject(2).getClass().getSimpleName() + "|" + (rs.getLong(3) >= txid) + "|" + (rs.getInt(4) > 0) + "|" + cell(rs.getObject(5)).replaceAll("\\d+", "N"));
      }
    }
    query(conn, "GRIP_RELATIONS",
        "select T.relkind as kind, T.oid as oid, T.xmin as state_number, T.relname as name, T.reloftype::regtype as of_type, T.relowner,"
            + " pg_catalog.pg_get_userbyid(T.relowner) as owner, T.relacl, T.reloptions, T.relpersistence, T.oid::regclass as self,"
            + " T.reltype::regtype as row_type, pg_catalog.obj_description(T.oid, 'pg_class') as comment, T.relispartition, T.relhastriggers\n"
            + "from pg_catalog.pg_class T\n"
            + "where T.relnamespace = ?::regnamespace and T.relkind in ('r', 'm', 'v', 'f', 'p', 'S', 'i')\norder by T.relname", "ide");
    query(conn, "GRIP_COLUMNS",
        "select C.attrelid::regclass as table_id, C.attnum as column_position, C.attname as column_name, C.xmin as state_number,"
            + " C.atttypid::regtype as type_id, pg_catalog.format_type(C.atttypid, C.atttypmod) as type_spec, C.attnotnull as mandatory,"
            + " C.attidentity, C.attgenerated, pg_catalog.pg_get_expr(D.adbin, D.adrelid) as default_expression,"
            + " pg_catalog.col_description(C.attrelid, C.attnum) as comment, C.attcollation::regcollation as collation\n"
            + "from pg_catalog.pg_attribute C left join pg_catalog.pg_attrdef D on (C.attrelid, C.attnum) = (D.adrelid, D.adnum)\n"
            + "where C.attrelid in (select oid from pg_catalog.pg_class where relnamespace = ?::regnamespace and relkind in ('r','v','m','p'))"
            + " and C.attnum > 0 and not C.attisdropped\norder by C.attrelid::regclass::text, C.attnum", "ide");
    query(conn, "GRIP_ROUTINES",
        "select P.oid as id, P.xmin as state_number, P.proname as name, P.prokind as kind, P.provolatile, P.proisstrict, P.proretset,"
            + " P.prorettype::regtype as return_type, P.proargtypes::oid[]::regtype[] as arg_types, P.proallargtypes::regtype[] as all_arg_types,"
            + " P.proargmodes, P.proargnames, pg_catalog.pg_get_function_arguments(P.oid) as arguments_def,"
            + " pg_catalog.pg_get_function_result(P.oid) as result_def, pg_catalog.pg_get_function_identity_arguments(P.oid) as identity,"
            + " L.lanname as language, pg_catalog.obj_description(P.oid, 'pg_proc') as comment, P.proacl, P.proconfig, P.procost, P.prorows\n"
            + "from pg_catalog.pg_proc P join pg_catalog.pg_language L on L.oid = P.prolang\n"
            + "where P.pronamespace = ?::regnamespace\norder by P.proname, P.oid", "ide");
    query(conn, "GRIP_TYPES",
        "select T.oid as type_id, T.xmin as type_state_number, T.typname as type_name, T.typtype as type_kind, T.typcategory, T.typelem::regtype,"
            + " T.typarray::regtype, T.typrelid::regclass, T.typbasetype::regtype, T.typnotnull, pg_catalog.format_type(T.oid, null) as formatted,"
            + " (select array_agg(E.enumlabel order by E.enumsortorder) from pg_catalog.pg_enum E where E.enumtypid = T.oid) as enum_labels,"
            + " (select array_agg(A.atttypid order by A.attnum) from pg_catalog.pg_attribute A where A.attrelid = T.typrelid and A.attnum > 0) as attribute_types\n"
            + "from pg_catalog.pg_type T\nwhere T.typnamespace = ?::regnamespace\norder by T.typname", "ide");
    query(conn, "GRIP_CONSTRAINTS",
        "select C.oid as id, C.conrelid::regclass as table_id, C.xmin as state_number, C.conname as name, C.contype as kind, C.conkey, C.confkey,"
            + " C.confrelid::regclass as ref_table_id, C.condeferrable, C.condeferred, C.confupdtype, C.confdeltype, C.confmatchtype,"
            + " C.conindid::regclass as index_id, pg_catalog.pg_get_constraintdef(C.oid, true) as definition\n"
            + "from pg_catalog.pg_constraint C\nwhere C.connamespace = ?::regnamespace\norder by C.conrelid::regclass::text, C.conname", "ide");
    query(conn, "GRIP_INDEXES",
        "select I.indexrelid::regclass as index_id, I.indrelid::regclass as table_id, I.indkey, I.indclass, I.indoption, I.indcollation,"
            + " I.indisunique, I.indisprimary, I.indnkeyatts, I.indkey::int2[] as keys_array, I.indclass::oid[] as classes_array,"
            + " pg_catalog.pg_get_expr(I.indpred, I.indrelid) as condition, pg_catalog.pg_get_indexdef(I.indexrelid, 0, true) as definition,"
            + " C.relam::regclass as am_oid_as_class, (select amname from pg_catalog.pg_am where oid = C.relam) as access_method\n"
            + "from pg_catalog.pg_index I join pg_catalog.pg_class C on C.oid = I.indexrelid\n"
            + "where C.relnamespace = ?::regnamespace\norder by I.indexrelid::regclass::text", "ide");
    query(conn, "GRIP_SEQUENCES",
        "select S.seqrelid::regclass as sequence_id, S.seqtypid::regtype as data_type, S.seqstart, S.seqincrement, S.seqmax, S.seqmin, S.seqcache, S.seqcycle,"
            + " pg_catalog.pg_get_serial_sequence('ide.customers', 'id') as owned_by_customers\n"
            + "from pg_catalog.pg_sequence S join pg_catalog.pg_class C on C.oid = S.seqrelid\n"
            + "where C.relnamespace = ?::regnamespace\norder by 1::text", "ide");
    query(conn, "GRIP_TRIGGERS",
        "select T.tgrelid::regclass as table_id, T.oid as id, T.xmin as state_number, T.tgname as name, T.tgfoid::regproc as function_id,"
            + " T.tgfoid::regprocedure as function_signature, T.tgtype, T.tgenabled, T.tgattr, pg_catalog.pg_get_triggerdef(T.oid, true) as source\n"
            + "from pg_catalog.pg_trigger T\nwhere T.tgrelid in (select oid from pg_catalog.pg_class where relnamespace = ?::regnamespace) and not T.tgisinternal\n"
            + "order by T.tgname", "ide");
    query(conn, "GRIP_INHERITANCE_AND_DEPENDENCIES",
        "select C.oid::regclass as self, (select array_agg(I.inhparent order by I.inhseqno) from pg_catalog.pg_inherits I where I.inhrelid = C.oid) as parents,"
            + " (select array_agg(D.refobjid::regclass order by D.refobjid) from pg_catalog.pg_depend D where D.objid = C.oid and D.refclassid = 'pg_class'::regclass) as depends_on,"
            + " C.relkind, C.reltuples, C.relpages, C.relnatts, C.relchecks\n"
            + "from pg_catalog.pg_class C\nwhere C.relnamespace = ?::regnamespace and C.relkind in ('r', 'v', 'm')\norder by 1::text", "ide");
    query(conn, "GRIP_ROLES",
        "select R.oid as role_id, R.rolname as role_name, R.rolsuper, R.rolinherit, R.rolcreaterole, R.rolcreatedb, R.rolcanlogin, R.rolreplication,"
            + " R.rolconnlimit, R.rolvaliduntil, R.rolbypassrls, R.rolconfig, pg_catalog.shobj_description(R.oid, 'pg_authid') as description,"
            + " (select array_agg(M.roleid::regrole) from pg_catalog.pg_auth_members M where M.member = R.oid) as member_of\n"
            + "from pg_catalog.pg_roles R where R.rolname in (?, ?)\norder by R.rolname", "postgres", "ide_reader");
    query(conn, "GRIP_CASTS",
        "select C.castsource::regtype as src, C.casttarget::regtype as dst, C.castfunc::regprocedure as func, C.castcontext, C.castmethod\n"
            + "from pg_catalog.pg_cast C where C.castsource = 'ide.mood'::regtype or C.casttarget = ?::regtype or C.castsource = 'int2'::regtype\norder by 1::text, 2::text", "ide.mood");
    // Incremental introspection: only objects changed since a remembered transaction number
    String since = null;
    try (PreparedStatement ps = conn.prepareStatement("select min(T.xmin::text::bigint)::text from pg_catalog.pg_class T where T.relnamespace = ?::regnamespace")) {
      ps.setString(1, "ide");
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        since = rs.getString(1);
      }
    }
    query(conn, "GRIP_CHANGED_SINCE",
        "select T.relname, T.relkind from pg_catalog.pg_class T\n"
            + "where T.relnamespace = ?::regnamespace\n"
            + "  and pg_catalog.age(T.xmin) <= coalesce(nullif(greatest(pg_catalog.age(?::varchar::xid), -1), -1), 2147483647)\n"
            + "order by T.relname", "ide", since);
    query(conn, "GRIP_SESSION",
        "select pg_catalog.current_database() as a, pg_catalog.current_schemas(false) as b, pg_catalog.current_schemas(true) as c,"
            + " pg_catalog.pg_is_in_recovery() as d, pg_catalog.pg_postmaster_start_time() as e, pg_catalog.current_setting('server_version_num') as f");
    query(conn, "GRIP_ISOLATION", "show transaction isolation level");
    // Parameters the console prompts for, selected as they are: PostgreSQL names them ?column?
    query(conn, "GRIP_PARAMETERS", "select ?, ? as named, ?, (select ?), ? + 1 from pg_catalog.pg_namespace where nspname = ?", 7, "text", 3000000000L, 2.5, 4, "ide");
    try (PreparedStatement ps = conn.prepareStatement("select ?, ?::int8 * 2")) {
      System.out.println("GRIP_PARAMETERS_DESCRIBED=" + columns(ps.getMetaData()));
    }
    query(conn, "GRIP_DESCRIPTIONS",
        "select pg_catalog.obj_description('ide.customers'::regclass, 'pg_class') as table_comment,"
            + " pg_catalog.col_description('ide.customers'::regclass, 2) as column_comment,"
            + " pg_catalog.obj_description(?::regnamespace, 'pg_namespace') as schema_comment,"
            + " pg_catalog.obj_description('ide.add(integer,integer)'::regprocedure, 'pg_proc') as function_comment", "ide");
  }
}
