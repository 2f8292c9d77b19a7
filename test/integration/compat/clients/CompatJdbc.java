// pgJDBC (Debian's jar) with its default options: the compatibility workload of workload.ts, plus
// the ResultSetMetaData that IDEs read. Usage (compiled with javac): java -cp postgresql.jar:<classes> CompatJdbc <url> <table>
// Prints one JSON object {step: {"value": ...} | {"error": {"sqlstate", "message"}}}.
import java.math.BigDecimal;
import java.sql.*;
import java.time.*;
import java.time.format.DateTimeFormatter;
import java.util.*;
import org.postgresql.util.PGInterval;
import org.postgresql.util.PGobject;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

public class CompatJdbc {
  static final String[] COLUMNS = {"i2", "i4", "i8", "num", "f4", "f8", "b", "t", "vc", "by", "d", "tm", "ts", "tstz", "iv", "u", "j", "jb", "arr", "tarr", "n"};
  static final String JSON = "{\"a\": [1, 2, 3], \"b\": \"x\"}";
  static final String VC = "varchar value";

  interface Step { Object run() throws Exception; }

  /** JSON text emitted as is. */
  record Raw(String json) {}

  static final Map<String, Object> result = new LinkedHashMap<>();
  static Connection conn;
  static String table;
  static long[] ids = {1, 2};
  static SQLException violation;

  public static void main(String[] args) throws Exception {
    table = args[1];
    conn = DriverManager.getConnection(args[0]);
    step("schema", CompatJdbc::schema);
    step("insert", CompatJdbc::insert);
    step("types", () -> row(ids[0]));
    step("nulls", () -> row(ids[1]));
    step("update", () -> {
      int n = update("update " + table + " set t = ? where id = ?", "updated", ids[0]);
      return map("count", n, "t", scalar("select t from " + table + " where id = ?", ids[0]));
    });
    step("delete", () -> {
      int n = update("delete from " + table + " where id = ?", ids[1]);
      return map("deleted", n, "remaining", scalar("select count(*) from " + table));
    });
    step("commit", () -> {
      conn.setAutoCommit(false);
      update("insert into " + table + " (vc) values (?)", "committed");
      conn.commit();
      conn.setAutoCommit(true);
      return map("count", scalar("select count(*) from " + table + " where vc = ?", "committed"));
    });
    step("rollback", () -> {
      conn.setAutoCommit(false);
      update("insert into " + table + " (vc) values (?)", "rolled back");
      Object inside = scalar("select count(*) from " + table + " where vc = ?", "rolled back");
      conn.rollback();
      conn.setAutoCommit(true);
      return map("inside", inside, "after", scalar("select count(*) from " + table + " where vc = ?", "rolled back"));
    });
    step("unique", () -> {
      try {
        update("insert into " + table + " (vc) values (?)", VC);
      } catch (SQLException e) {
        violation = e;
      }
      return map("sqlstate", violation == null ? null : violation.getSQLState(), "after", scalar("select 1"));
    });
    step("unique_fields", () -> {
      ServerErrorMessage m = violation instanceof PSQLException p ? p.getServerErrorMessage() : null;
      return map("schema", m == null ? null : m.getSchema(), "table", m == null ? null : m.getTable(), "constraint", m == null ? null : m.getConstraint());
    });
    step("metadata", CompatJdbc::metadata);
    conn.close();
    System.out.println(json(result));
  }

  static void step(String name, Step s) {
    try {
      result.put(name, map("value", s.run()));
    } catch (Exception e) {
      result.put(name, map("error", map("sqlstate", e instanceof SQLException q ? q.getSQLState() : null, "message", e.toString())));
      try {
        if (!conn.getAutoCommit()) {
          conn.rollback();
          conn.setAutoCommit(true);
        }
      } catch (SQLException ignored) {
        // the next step reports what is left
      }
    }
  }

  static Object schema() throws SQLException {
    try (Statement st = conn.createStatement()) {
      st.execute("create table " + table + " (id serial primary key, i2 int2, i4 int4, i8 int8, num numeric(12,4), f4 float4,"
          + " f8 float8, b bool, t text, vc varchar(40) unique, by bytea, d date, tm time, ts timestamp, tstz timestamptz,"
          + " iv interval, u uuid, j json, jb jsonb, arr int4[], tarr text[], n text)");
    }
    List<Object> cols = new ArrayList<>();
    try (PreparedStatement ps = conn.prepareStatement(
        "select column_name, udt_name from information_schema.columns where table_name = ? order by ordinal_position")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) cols.add(List.of(rs.getString(1), rs.getString(2)));
      }
    }
    return cols;
  }

  static Object insert() throws SQLException {
    String cols = String.join(", ", COLUMNS);
    String marks = String.join(", ", Collections.nCopies(COLUMNS.length, "?"));
    Map<String, Object> first;
    try (PreparedStatement ps = conn.prepareStatement("insert into " + table + " (" + cols + ") values (" + marks + ") returning id, i2 * 2 as doubled, t")) {
      int i = 1;
      ps.setShort(i++, (short) 12345);
      ps.setInt(i++, 2147483647);
      ps.setLong(i++, 9007199254740993L);
      ps.setBigDecimal(i++, new BigDecimal("12345678.9012"));
      ps.setFloat(i++, 1.5f);
      ps.setDouble(i++, Math.PI);
      ps.setBoolean(i++, true);
      ps.setString(i++, "grüße, 'quoted'");
      ps.setString(i++, VC);
      ps.setBytes(i++, new byte[] {0x00, 0x01, (byte) 0xfe, (byte) 0xff});
      ps.setObject(i++, LocalDate.of(2024, 2, 29));
      ps.setObject(i++, LocalTime.of(12, 34, 56, 789_000_000));
      ps.setObject(i++, LocalDateTime.of(2024, 2, 29, 12, 34, 56, 789_000_000));
      ps.setObject(i++, OffsetDateTime.of(2024, 2, 29, 14, 34, 56, 789_000_000, ZoneOffset.ofHours(2)));
      ps.setObject(i++, new PGInterval(0, 0, 1, 2, 3, 4));
      ps.setObject(i++, UUID.fromString("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"));
      ps.setObject(i++, pgObject("json", JSON));
      ps.setObject(i++, pgObject("jsonb", JSON));
      ps.setArray(i++, conn.createArrayOf("int4", new Integer[] {1, 2, null, 4}));
      ps.setArray(i++, conn.createArrayOf("text", new String[] {"a", "b c", "\"q\""}));
      ps.setNull(i++, Types.VARCHAR);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        first = map("id", rs.getLong(1), "doubled", rs.getInt(2), "t", rs.getString(3));
      }
    }
    long second;
    try (PreparedStatement ps = conn.prepareStatement("insert into " + table + " (" + cols + ") values (" + marks + ") returning id")) {
      for (int i = 1; i <= COLUMNS.length; i++) ps.setNull(i, Types.OTHER);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        second = rs.getLong(1);
      }
    }
    ids = new long[] {(Long) first.get("id"), second};
    return map("first", first, "second", map("id", second));
  }

  static PGobject pgObject(String type, String value) throws SQLException {
    PGobject o = new PGobject();
    o.setType(type);
    o.setValue(value);
    return o;
  }

  static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");
  static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS");

  static Object row(long id) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement("select * from " + table + " where id = ?")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) throw new SQLException("no row " + id);
        Map<String, Object> out = new LinkedHashMap<>();
        for (String c : COLUMNS) out.put(c, rs.getObject(c) == null ? null : value(rs, c));
        return out;
      }
    }
  }

  static Object value(ResultSet rs, String c) throws SQLException {
    switch (c) {
      case "i2": return rs.getShort(c);
      case "i4": return rs.getInt(c);
      case "i8": return Long.toString(rs.getLong(c));
      case "num": return rs.getBigDecimal(c).toPlainString();
      case "f4": return (double) rs.getFloat(c);
      case "f8": return rs.getDouble(c);
      case "b": return rs.getBoolean(c);
      case "by": return HexFormat.of().formatHex(rs.getBytes(c));
      case "d": return rs.getObject(c, LocalDate.class).toString();
      case "tm": return rs.getObject(c, LocalTime.class).format(TIME);
      case "ts": return rs.getObject(c, LocalDateTime.class).format(TIMESTAMP);
      case "tstz": return rs.getObject(c, OffsetDateTime.class).withOffsetSameInstant(ZoneOffset.UTC).format(TIMESTAMP) + "Z";
      case "iv": {
        PGInterval iv = (PGInterval) rs.getObject(c);
        if (iv.getYears() != 0 || iv.getMonths() != 0) throw new SQLException("interval with months: " + iv.getValue());
        return iv.getDays() * 86400.0 + iv.getHours() * 3600 + iv.getMinutes() * 60 + iv.getSeconds();
      }
      case "u": return rs.getObject(c, UUID.class).toString();
      case "j": case "jb": return new Raw(rs.getString(c));
      case "arr": case "tarr": return Arrays.asList((Object[]) rs.getArray(c).getArray());
      default: return rs.getString(c);
    }
  }

  /** What DBeaver and DataGrip read to make a result grid editable. */
  static Object metadata() throws SQLException {
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("select id, vc, i2 * 2 as doubled from " + table + " where false")) {
      ResultSetMetaData md = rs.getMetaData();
      List<Object> tables = new ArrayList<>(), nullable = new ArrayList<>(), auto = new ArrayList<>(), types = new ArrayList<>();
      for (int i = 1; i <= md.getColumnCount(); i++) {
        tables.add(md.getTableName(i));
        nullable.add(md.isNullable(i));
        auto.add(md.isAutoIncrement(i));
        types.add(md.getColumnTypeName(i));
      }
      return map("tables", tables, "nullable", nullable, "autoIncrement", auto, "types", types);
    }
  }

  static int update(String sql, Object... params) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) ps.setObject(i + 1, params[i]);
      return ps.executeUpdate();
    }
  }

  static Object scalar(String sql, Object... params) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) ps.setObject(i + 1, params[i]);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getObject(1);
      }
    }
  }

  static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
    return m;
  }

  static String json(Object v) {
    if (v == null) return "null";
    if (v instanceof Raw r) return r.json();
    if (v instanceof Boolean || v instanceof Integer || v instanceof Long || v instanceof Short) return v.toString();
    if (v instanceof Double d) return d == Math.rint(d) && !Double.isInfinite(d) ? Long.toString(d.longValue()) : d.toString();
    if (v instanceof Map<?, ?> m) {
      StringJoiner j = new StringJoiner(",", "{", "}");
      m.forEach((k, x) -> j.add(json(k.toString()) + ":" + json(x)));
      return j.toString();
    }
    if (v instanceof List<?> l) {
      StringJoiner j = new StringJoiner(",", "[", "]");
      l.forEach(x -> j.add(json(x)));
      return j.toString();
    }
    StringBuilder b = new StringBuilder("\"");
    for (char ch : v.toString().toCharArray()) {
      if (ch == '"' || ch == '\\') b.append('\\').append(ch);
      else if (ch < 0x20) b.append(String.format("\\u%04x", (int) ch));
      else b.append(ch);
    }
    return b.append('"').toString();
  }
}
