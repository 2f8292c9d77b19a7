// pgJDBC (Debian's jar) with its default options, reading with a fetch size: with autocommit off
// and setFetchSize(500) it binds a named portal and executes it 500 rows at a time (portal
// suspension); a ResultSet read to the end, and one abandoned half-way and closed, after which
// the transaction commits. Usage (compiled with javac): java -cp postgresql.jar:<classes>
// StreamingJdbc <url>. Prints {step: {"value": ...} | {"error": {"sqlstate", "message"}}}.
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.*;
import java.util.*;

public class StreamingJdbc {
  static final int ROWS = 5000;
  static final int HALF = ROWS / 2;
  static final int FETCH_SIZE = 500;
  static final String QUERY = "select g, md5(g::text) as h from generate_series(1, " + ROWS + ") g order by g";

  interface Step { Object run() throws Exception; }

  static final Map<String, Object> result = new LinkedHashMap<>();
  static Connection conn;

  public static void main(String[] args) throws Exception {
    conn = DriverManager.getConnection(args[0]);
    step("setup", () -> {
      try (Statement st = conn.createStatement()) {
        st.execute("create table if not exists streaming_marks (habit text not null)");
      }
      return null;
    });
    step("fetch_size", () -> {
      conn.setAutoCommit(false);
      Map<String, Object> value;
      try (PreparedStatement ps = conn.prepareStatement(QUERY)) {
        ps.setFetchSize(FETCH_SIZE);
        try (ResultSet rs = ps.executeQuery()) {
          value = read(rs, Integer.MAX_VALUE).value();
        }
      }
      conn.commit();
      conn.setAutoCommit(true);
      value.put("after", scalar("select 1"));
      return value;
    });
    step("fetch_size_abandoned", () -> {
      conn.setAutoCommit(false);
      try (PreparedStatement ps = conn.prepareStatement("insert into streaming_marks values (?)")) {
        ps.setString(1, "jdbc");
        ps.executeUpdate();
      }
      Summary s;
      try (PreparedStatement ps = conn.prepareStatement(QUERY)) {
        ps.setFetchSize(FETCH_SIZE);
        try (ResultSet rs = ps.executeQuery()) {
          s = read(rs, HALF);
        }
      }
      Object after = scalar("select 1");
      conn.commit();
      conn.setAutoCommit(true);
      Map<String, Object> value = s.partial();
      value.put("after", after);
      value.put("committed", scalar("select count(*)::int from streaming_marks where habit = 'jdbc'"));
      return value;
    });
    conn.close();
    System.out.println(json(result));
  }

  static void step(String name, Step s) {
    try {
      result.put(name, map("value", s.run()));
    } catch (Exception e) {
      String state = e instanceof SQLException q ? q.getSQLState() : null;
      result.put(name, map("error", map("sqlstate", state, "message", e.getClass().getSimpleName() + ": " + e.getMessage())));
      try {
        if (!conn.getAutoCommit()) conn.rollback();
        conn.setAutoCommit(true);
      } catch (SQLException ignored) {
        // the next step reports what is left broken
      }
    }
  }

  static Summary read(ResultSet rs, int limit) throws Exception {
    Summary s = new Summary();
    while (s.count < limit && rs.next()) s.add(rs.getInt(1), rs.getString(2));
    return s;
  }

  static Object scalar(String sql) throws SQLException {
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getObject(1);
    }
  }

  /** Count, first and last rows and an order-sensitive checksum, as rows.ts computes them. */
  static final class Summary {
    int count;
    List<Object> first;
    List<Object> last;
    final MessageDigest md5;

    Summary() throws Exception {
      md5 = MessageDigest.getInstance("MD5");
    }

    void add(int g, String h) {
      List<Object> row = List.of(g, h);
      if (first == null) first = row;
      last = row;
      count++;
      md5.update((g + ":" + h + "\n").getBytes(StandardCharsets.UTF_8));
    }

    Map<String, Object> value() {
      return map("count", count, "first", first, "last", last, "checksum", HexFormat.of().formatHex(md5.digest()));
    }

    Map<String, Object> partial() {
      return map("read", count, "last_read", last);
    }
  }

  static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
    return m;
  }

  static String json(Object v) {
    if (v == null) return "null";
    if (v instanceof Number || v instanceof Boolean) return v.toString();
    if (v instanceof Map<?, ?> m) {
      StringJoiner j = new StringJoiner(", ", "{", "}");
      m.forEach((k, x) -> j.add(json(k) + ": " + json(x)));
      return j.toString();
    }
    if (v instanceof Collection<?> c) {
      StringJoiner j = new StringJoiner(", ", "[", "]");
      c.forEach(x -> j.add(json(x)));
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
