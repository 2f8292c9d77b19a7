// pgJDBC run through aurora-pg-proxy's Data API mode (and, for comparison, straight against
// PostgreSQL), the way DBeaver, DataGrip and JDBC applications use the driver. Source-file mode:
//   java -cp postgresql.jar DataApiSmoke.java <jdbc-url> <jdbc-url with prepareThreshold=-1>
// Prints KEY=value lines that test/integration/dataapi-jdbc.test.ts checks. Around the
// 1000-row executeBatch it prints BATCH_READY and BATCH_SENT and waits for a line on stdin each
// time, so that the test can reset and read the emulator's call counters exactly around it.
// Any failure prints ERROR=<sqlstate> <message> and exits 1.
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.Date;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.LocalDateTime;
import java.util.HexFormat;
import java.util.Properties;
import java.util.UUID;
import org.postgresql.PGStatement;

public class DataApiSmoke {
  private static final BufferedReader STDIN = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));

  public static void main(String[] args) {
    if (args.length != 2) {
      System.out.println("ERROR=usage: DataApiSmoke <jdbc-url> <jdbc-url forcing binary>");
      System.exit(2);
    }
    try {
      run(args[0], args[1]);
      System.out.println("DONE=ok");
    } catch (SQLException e) {
      System.out.println("ERROR=" + e.getSQLState() + " " + String.valueOf(e.getMessage()).replace('\n', ' '));
      System.exit(1);
    } catch (Exception e) {
      System.out.println("ERROR=" + e);
      System.exit(1);
    }
  }

  private static Connection open(String url) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", "postgres"); // no password: the proxy holds no database login
    props.setProperty("ApplicationName", "DataApiSmoke");
    return DriverManager.getConnection(url, props);
  }

  /** Tells the test where we are and waits for its go-ahead (a line on stdin). */
  private static void handshake(String marker) throws IOException {
    System.out.println(marker);
    System.out.flush();
    if (STDIN.readLine() == null) throw new IOException("stdin closed while waiting after " + marker);
  }

  private static void run(String url, String binaryUrl) throws Exception {
    try (Connection conn = open(url); Statement st = conn.createStatement()) {
      try (ResultSet rs = st.executeQuery("select current_user")) {
        rs.next();
        System.out.println("USER=" + rs.getString(1));
      }
      // The proxy keeps application_name for the session itself (see settings.ts), so SHOW it.
      try (ResultSet rs = st.executeQuery("show application_name")) {
        rs.next();
        System.out.println("APPLICATION_NAME=" + rs.getString(1));
      }
      setUp(st);
      bindEveryType(conn);
      repeatUntilServerPrepared(conn, "REPEAT");
      try (Connection binary = open(binaryUrl)) {
        bindAndReadForcedBinary(binary);
      }
      batch(conn, st);
      transactions(conn, url);
      cursorFetch(conn);
      metadata(conn);
      resultSetMetadata(conn);
      errors(conn, st);
    }
  }

  private static void setUp(Statement st) throws SQLException {
    st.execute("drop table if exists dapi_child, dapi_types, dapi_batch, dapi_batch_fail, dapi_tx, dapi_fetch");
    st.execute(
        "create table dapi_types (id integer primary key, i integer, l bigint not null, s text, ts timestamp,"
            + " tstz timestamptz, amount numeric(30,10), b bytea, u uuid, flag boolean, d date, n integer)");
    st.execute("comment on table dapi_types is 'one column per JDBC setter'");
    st.execute("comment on column dapi_types.amount is 'exact money'");
    st.execute("create index dapi_types_l_idx on dapi_types (l desc, s)");
    st.execute("create unique index dapi_types_u_key on dapi_types (u)");
    st.execute(
        "create table dapi_child (id serial primary key, type_id integer not null references dapi_types (id)"
            + " on delete cascade, label varchar(40) default 'none', created timestamptz default now())");
    st.execute("create table dapi_batch (n integer primary key, label varchar(20), at timestamp)");
    st.execute("create table dapi_tx (n integer primary key, label text)");
    st.execute("create table dapi_fetch as select g, md5(g::text) as h from generate_series(1, 5000) as g");
  }

  private static final Timestamp TS = Timestamp.valueOf("2024-02-29 12:34:56.123456");
  private static final Timestamp TSTZ = Timestamp.valueOf("1999-12-31 23:59:59.999999");
  private static final BigDecimal AMOUNT = new BigDecimal("-12345678901234567890.0123456789");
  private static final UUID U = UUID.fromString("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  private static final String TEXT = "grüße, 'quoted' \\ back\\slash $1 :p1 ?";

  private static byte[] allBytes() {
    byte[] b = new byte[256];
    for (int i = 0; i < 256; i++) b[i] = (byte) i;
    return b;
  }

  private static void bindRow(PreparedStatement ps, int id, int i, long l) throws SQLException {
    ps.setInt(1, id);
    ps.setInt(2, i);
    ps.setLong(3, l);
    ps.setString(4, TEXT);
    ps.setTimestamp(5, TS);
    ps.setTimestamp(6, TSTZ);
    ps.setBigDecimal(7, AMOUNT);
    ps.setBytes(8, allBytes());
    ps.setObject(9, id == 1 ? U : new UUID(id, id));
    ps.setBoolean(10, id % 2 == 1);
    ps.setDate(11, Date.valueOf("1999-12-31"));
    ps.setNull(12, Types.INTEGER);
  }

  private static final String INSERT = "insert into dapi_types (id, i, l, s, ts, tstz, amount, b, u, flag, d, n)"
      + " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  private static final String SELECT = "select id, i, l, s, ts, tstz, amount, b, u, flag, d, n from dapi_types where id = ?";

  /** One line with every value of a row, read with the getter matching its setter. */
  private static String rowLine(ResultSet rs) throws SQLException {
    StringBuilder sb = new StringBuilder();
    sb.append(rs.getInt("id")).append('|').append(rs.getInt("i")).append('|').append(rs.getLong("l"));
    sb.append('|').append(rs.getString("s"));
    sb.append('|').append(rs.getTimestamp("ts"));
    sb.append('|').append(rs.getTimestamp("tstz"));
    sb.append('|').append(rs.getBigDecimal("amount").toPlainString());
    byte[] b = rs.getBytes("b");
    sb.append('|').append(b.length).append(':').append(HexFormat.of().formatHex(b).equals(HexFormat.of().formatHex(allBytes())));
    sb.append('|').append(rs.getObject("u", UUID.class));
    sb.append('|').append(rs.getBoolean("flag"));
    sb.append('|').append(rs.getDate("d"));
    int n = rs.getInt("n");
    sb.append('|').append(rs.wasNull() ? "null" : String.valueOf(n));
    return sb.toString();
  }

  private static void bindEveryType(Connection conn) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement(INSERT)) {
      bindRow(ps, 1, Integer.MIN_VALUE, Long.MAX_VALUE);
      System.out.println("INSERT_TYPES=" + ps.executeUpdate());
      bindRow(ps, 2, Integer.MAX_VALUE, Long.MIN_VALUE);
      System.out.println("INSERT_TYPES=" + ps.executeUpdate());
    }
    try (PreparedStatement ps = conn.prepareStatement(SELECT)) {
      for (int id = 1; id <= 2; id++) {
        ps.setInt(1, id);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) throw new SQLException("row " + id + " missing");
          System.out.println("ROW=" + rowLine(rs));
        }
      }
    }
  }

  /**
   * pgJDBC switches a statement run prepareThreshold (5) times to a named server-side statement,
   * and from then on asks for binary results.
   */
  private static void repeatUntilServerPrepared(Connection conn, String key) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement(SELECT)) {
      for (int round = 1; round <= 8; round++) {
        ps.setInt(1, 1 + round % 2);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) throw new SQLException("no row in round " + round);
          System.out.println(key + "=" + round + ":" + ps.unwrap(PGStatement.class).isUseServerPrepare() + ":" + rowLine(rs));
        }
      }
    }
  }

  /** prepareThreshold=-1: named statements and binary transfer from the first execution. */
  private static void bindAndReadForcedBinary(Connection conn) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement(INSERT)) {
      bindRow(ps, 3, 42, 1L << 53 | 1);
      System.out.println("BINARY_INSERT=" + ps.executeUpdate());
    }
    try (PreparedStatement ps = conn.prepareStatement(SELECT)) {
      for (int id = 1; id <= 3; id++) {
        ps.setInt(1, id);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) throw new SQLException("row " + id + " missing");
          System.out.println("BINARY_ROW=" + rowLine(rs));
        }
      }
    }
    try (PreparedStatement ps = conn.prepareStatement(
        "select ?::int2 + 1, ?::float8 * 2, ?::numeric / 4, ?::float4, ?::int8 - 1, ?::date + 1, ?::text || 'x'")) {
      ps.setShort(1, (short) 32766);
      ps.setDouble(2, 0.1);
      ps.setBigDecimal(3, new BigDecimal("1.00"));
      ps.setFloat(4, 3.25f);
      ps.setLong(5, Long.MIN_VALUE + 1);
      ps.setDate(6, Date.valueOf("2024-02-28"));
      ps.setString(7, "é");
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        System.out.println("BINARY_EXPR=" + rs.getShort(1) + "|" + rs.getDouble(2) + "|" + rs.getBigDecimal(3).toPlainString() + "|"
            + rs.getFloat(4) + "|" + rs.getLong(5) + "|" + rs.getDate(6) + "|" + rs.getString(7));
      }
    }
  }

  /**
   * Two executeBatch calls of 1000 inserts each. setTimestamp binds an untyped parameter, so the
   * first makes pgJDBC Describe the statement; the second reuses what it learned.
   */
  private static void batch(Connection conn, Statement st) throws Exception {
    for (int b = 0; b < 2; b++) {
      try (PreparedStatement ps = conn.prepareStatement("insert into dapi_batch (n, label, at) values (?, ?, ?)")) {
        for (int i = 1 + 1000 * b; i <= 1000 * (b + 1); i++) {
          ps.setInt(1, i);
          ps.setString(2, "row " + i);
          ps.setTimestamp(3, Timestamp.valueOf(LocalDateTime.of(2024, 1, 1, 0, 0).plusSeconds(i)));
          ps.addBatch();
        }
        handshake("BATCH_READY");
        int[] counts = ps.executeBatch();
        handshake("BATCH_SENT");
        int sum = 0;
        for (int c : counts) sum += (c == Statement.SUCCESS_NO_INFO ? 1 : c);
        System.out.println("BATCH_STATEMENTS=" + counts.length);
        System.out.println("BATCH_ROWS=" + sum);
      }
      try (ResultSet rs = st.executeQuery("select count(*), sum(n), min(n), max(at) from dapi_batch")) {
        rs.next();
        System.out.println("BATCH_TABLE=" + rs.getLong(1) + "," + rs.getLong(2) + "," + rs.getInt(3) + "," + rs.getTimestamp(4));
      }
    }
    // A duplicate key in row 200, within pgJDBC's first pipeline (which reaches the proxy in
    // several TCP segments): PostgreSQL rolls back the whole pipeline, and pgJDBC sends no more.
    st.execute("create table dapi_batch_fail (n integer primary key)");
    try (PreparedStatement ps = conn.prepareStatement("insert into dapi_batch_fail values (?)")) {
      for (int i = 1; i <= 300; i++) {
        ps.setInt(1, i == 200 ? 1 : i);
        ps.addBatch();
      }
      ps.executeBatch();
      System.out.println("BATCH_FAIL=no error");
    } catch (SQLException e) {
      System.out.println("BATCH_FAIL=" + e.getSQLState());
    }
    try (ResultSet rs = st.executeQuery("select count(*), max(n) from dapi_batch_fail")) {
      rs.next();
      System.out.println("BATCH_FAIL_TABLE=" + rs.getLong(1) + "," + rs.getInt(2));
    }
  }

  private static String visibleFrom(Connection other) throws SQLException {
    try (Statement s = other.createStatement();
        ResultSet rs = s.executeQuery("select coalesce(string_agg(label, '|' order by n), '') from dapi_tx")) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static void transactions(Connection conn, String url) throws SQLException {
    try (Connection other = open(url); PreparedStatement ps = conn.prepareStatement("insert into dapi_tx values (?, ?)")) {
      conn.setAutoCommit(false);
      ps.setInt(1, 1);
      ps.setString(2, "committed");
      ps.executeUpdate();
      System.out.println("TX_BEFORE_COMMIT=" + visibleFrom(other));
      conn.commit();
      System.out.println("TX_AFTER_COMMIT=" + visibleFrom(other));

      ps.setInt(1, 2);
      ps.setString(2, "rolled back");
      ps.executeUpdate();
      try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery("select count(*) from dapi_tx")) {
        rs.next();
        System.out.println("TX_INSIDE=" + rs.getLong(1));
      }
      conn.rollback();
      System.out.println("TX_AFTER_ROLLBACK=" + visibleFrom(other));

      // An error inside the transaction: the statement after it is refused until rollback.
      ps.setInt(1, 3);
      ps.setString(2, "lost with the error");
      ps.executeUpdate();
      try (Statement s = conn.createStatement()) {
        try {
          s.executeQuery("select * from dapi_no_such_table");
          System.out.println("TX_ERROR=no error");
        } catch (SQLException e) {
          System.out.println("TX_ERROR=" + e.getSQLState());
        }
        try {
          s.executeQuery("select 1");
          System.out.println("TX_AFTER_ERROR=no error");
        } catch (SQLException e) {
          System.out.println("TX_AFTER_ERROR=" + e.getSQLState());
        }
      }
      conn.rollback();
      System.out.println("TX_AFTER_ERROR_ROLLBACK=" + visibleFrom(conn) + "/" + visibleFrom(other));
      conn.setAutoCommit(true);
    }
  }

  /** A fetch size inside a transaction makes pgJDBC read through a portal, 100 rows a time. */
  private static void cursorFetch(Connection conn) throws SQLException {
    conn.setAutoCommit(false);
    try (PreparedStatement ps = conn.prepareStatement("select g, h from dapi_fetch where g > ? order by g")) {
      ps.setFetchSize(100);
      ps.setInt(1, 0);
      long rows = 0;
      long sum = 0;
      boolean hashesOk = true;
      String last = null;
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          rows++;
          sum += rs.getInt(1);
          last = rs.getString(2);
          if (last.length() != 32) hashesOk = false;
        }
      }
      System.out.println("FETCH=" + rows + "," + sum + "," + hashesOk + "," + last);
    }
    conn.commit();
    conn.setAutoCommit(true);
  }

  /** Every column of every row of a metadata result set, as one line each. */
  private static void printAll(String key, ResultSet rs) throws SQLException {
    ResultSetMetaData md = rs.getMetaData();
    StringBuilder header = new StringBuilder();
    for (int c = 1; c <= md.getColumnCount(); c++) header.append(c > 1 ? "|" : "").append(md.getColumnLabel(c));
    System.out.println("META_" + key + "_COLUMNS=" + header);
    int rows = 0;
    while (rs.next()) {
      StringBuilder sb = new StringBuilder();
      for (int c = 1; c <= md.getColumnCount(); c++) sb.append(c > 1 ? "|" : "").append(rs.getString(c));
      System.out.println("META_" + key + "=" + sb);
      rows++;
    }
    System.out.println("META_" + key + "_ROWS=" + rows);
  }

  private static void metadata(Connection conn) throws SQLException {
    DatabaseMetaData md = conn.getMetaData();
    System.out.println("META_PRODUCT=" + md.getDatabaseProductName() + " " + md.getDatabaseMajorVersion());
    try (ResultSet rs = md.getSchemas(null, "public")) {
      printAll("SCHEMAS", rs);
    }
    try (ResultSet rs = md.getTables(null, "public", "dapi%", new String[] {"TABLE", "VIEW", "SEQUENCE", "INDEX"})) {
      printAll("TABLES", rs);
    }
    for (String table : new String[] {"dapi_types", "dapi_child"}) {
      try (ResultSet rs = md.getColumns(null, "public", table, "%")) {
        printAll("COLUMNS_" + table, rs);
      }
      try (ResultSet rs = md.getPrimaryKeys(null, "public", table)) {
        printAll("PK_" + table, rs);
      }
      try (ResultSet rs = md.getIndexInfo(null, "public", table, false, true)) {
        printAll("INDEXES_" + table, rs);
      }
    }
    try (ResultSet rs = md.getImportedKeys(null, "public", "dapi_child")) {
      printAll("IMPORTED_dapi_child", rs);
    }
  }

  private static void resultSetMetadata(Connection conn) throws SQLException {
    String sql = "select 1::int2 as a, 2::int4 as b, 3::int8 as c, 1.5::float4 as d, 2.5::float8 as e,"
        + " 1.23::numeric(10,2) as f, 'x'::text as g, 'y'::varchar(10) as h, 'z'::char(3) as i, true as j,"
        + " date '2024-01-02' as k, time '01:02:03' as l, timestamp '2024-01-02 03:04:05' as m,"
        + " timestamptz '2024-01-02 03:04:05+00' as n, '\\x00'::bytea as o, gen_random_uuid() as p,"
        + " '{\"a\":1}'::jsonb as q, '{1,2}'::int4[] as r, '{x}'::text[] as s, '{}'::json as t,"
        + " t.l as col_l, t.s as col_s, t.amount as col_amount, t.ts as col_ts"
        + " from dapi_types t where t.id = 1";
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      ResultSetMetaData md = rs.getMetaData();
      for (int c = 1; c <= md.getColumnCount(); c++) {
        System.out.println("RSMD=" + md.getColumnLabel(c) + "|" + md.getColumnType(c) + "|" + md.getColumnTypeName(c) + "|"
            + md.getPrecision(c) + "|" + md.getScale(c) + "|" + md.getColumnClassName(c) + "|" + md.getColumnDisplaySize(c));
      }
      rs.next();
      StringBuilder values = new StringBuilder();
      for (int c = 1; c <= 24; c++) {
        if (c == 16) continue; // a random uuid
        // timestamptz as an instant: the proxy prints it in UTC whatever the session TimeZone
        values.append(c > 1 ? "|" : "").append(c == 14 ? rs.getTimestamp(c).toInstant().toString() : rs.getString(c));
      }
      System.out.println("RSMD_VALUES=" + values);
    }
  }

  private static void errors(Connection conn, Statement st) throws SQLException {
    try {
      st.executeQuery("select * from dapi_missing_table");
      System.out.println("MISSING_TABLE=no error");
    } catch (SQLException e) {
      System.out.println("MISSING_TABLE=" + e.getSQLState() + " " + e.getMessage().replace('\n', ' '));
    }
    try (PreparedStatement ps = conn.prepareStatement("insert into dapi_types (id, l) values (?, ?)")) {
      ps.setInt(1, 1);
      ps.setLong(2, 1);
      ps.executeUpdate();
      System.out.println("DUPLICATE=no error");
    } catch (SQLException e) {
      System.out.println("DUPLICATE=" + e.getSQLState());
    }
    try (ResultSet rs = st.executeQuery("select 'still usable'")) {
      rs.next();
      System.out.println("AFTER_ERROR=" + rs.getString(1));
    }
  }
}
