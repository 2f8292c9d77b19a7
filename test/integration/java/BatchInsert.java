// pgJDBC executeBatch of single-row INSERTs, with pgJDBC's default options, for
// dataapi-batch-insert.test.ts: it runs through the proxy and straight against PostgreSQL, and
// prints KEY=value lines that must match (rows, update counts, errors and their batch entry,
// trigger side effects, transaction state). Around the plain batch it prints BATCH_READY and
// BATCH_SENT and waits for a line on stdin each time (the test reads the emulator's counters).
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.math.BigDecimal;
import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.Arrays;

public class BatchInsert {
  private static final BufferedReader STDIN = new BufferedReader(new InputStreamReader(System.in));

  public static void main(String[] args) throws Exception {
    try (Connection conn = DriverManager.getConnection(args[0], "postgres", "")) {
      try (Statement st = conn.createStatement()) {
        setUp(st);
        plain(conn, st);
        expressions(conn, st);
        failing(conn, st, "VARCHAR", "insert into bj_varchar (n, note) values (?, ?)", 50, 30, "bj_varchar");
        failing(conn, st, "UNIQUE", "insert into bj_unique (n, note) values (?, ?)", 50, 30, "bj_unique");
        failing(conn, st, "UNIQUE_LATE", "insert into bj_unique (n, note) values (?, ?)", 600, 400, "bj_unique");
        explicitFailure(conn, st);
        triggers(conn, st);
        selfReference(conn, st);
        countsOnly(conn, st, "VIEW", "insert into bj_view (n) values (?)", "select count(*), string_agg(n::text, ',' order by n) from bj_base");
        countsOnly(conn, st, "RULE", "insert into bj_ruled (n) values (?)", "select count(*), string_agg(n::text, ',' order by n) from bj_ruled");
      }
      System.out.println("DONE=ok");
    } catch (Exception e) {
      System.out.println("ERROR=" + e);
      e.printStackTrace();
      System.exit(1);
    }
  }

  private static void setUp(Statement st) throws SQLException {
    st.execute("drop table if exists bj_plain, bj_expr, bj_varchar, bj_unique, bj_tx, bj_stmt, bj_log, bj_before, bj_self, bj_base, bj_ruled cascade");
    st.execute("drop view if exists bj_view");
    st.execute("create table bj_plain (id int generated always as identity, n int primary key, label text, price numeric(10,2),"
        + " at timestamptz default now(), doubled int generated always as (n * 2) stored, note varchar(10), flag boolean, day date)");
    st.execute("create table bj_expr (id serial, a int, b text, c timestamptz, d numeric)");
    st.execute("create table bj_varchar (n int, note varchar(5))");
    st.execute("create table bj_unique (n int primary key, note text)");
    st.execute("create table bj_tx (n int primary key)");
    st.execute("create table bj_stmt (n int)");
    st.execute("create table bj_log (what text, n bigint)");
    st.execute("create or replace function bj_count_stmt() returns trigger language plpgsql as $$"
        + " begin insert into bj_log select 'statement', count(*) from bj_stmt; return null; end $$");
    st.execute("create trigger bj_stmt_after after insert on bj_stmt for each statement execute function bj_count_stmt()");
    st.execute("create table bj_before (n int, note text)");
    st.execute("create or replace function bj_skip_even() returns trigger language plpgsql as $$"
        + " begin if new.n % 2 = 0 then return null; end if; new.note := upper(new.note); return new; end $$");
    st.execute("create trigger bj_before_row before insert on bj_before for each row execute function bj_skip_even()");
    st.execute("create table bj_self (n int primary key, parent int references bj_self (n))");
    st.execute("create table bj_base (n int)");
    st.execute("create view bj_view as select n from bj_base");
    st.execute("create or replace function bj_instead() returns trigger language plpgsql as $$"
        + " begin if new.n % 3 = 0 then return null; end if; insert into bj_base values (new.n * 10); return new; end $$");
    st.execute("create trigger bj_view_instead instead of insert on bj_view for each row execute function bj_instead()");
    st.execute("create table bj_ruled (n int)");
    st.execute("create rule bj_ruled_even as on insert to bj_ruled where new.n % 2 = 0 do instead nothing");
  }

  private static void waitFor(String marker) throws Exception {
    System.out.println(marker);
    System.out.flush();
    STDIN.readLine();
  }

  /** 1000 rows with identity, defaults, a generated column and NULLs, in autocommit (pipelines of about 256). */
  private static void plain(Connection conn, Statement st) throws Exception {
    try (PreparedStatement ps = conn.prepareStatement("insert into bj_plain (n, label, price, note, flag, day) values (?, ?, ?, ?, ?, ?)")) {
      for (int i = 1; i <= 1000; i++) {
        ps.setInt(1, i);
        if (i % 7 == 0) ps.setNull(2, Types.VARCHAR); else ps.setString(2, "label " + i + " 'q' \\ :x $1");
        if (i % 11 == 0) ps.setNull(3, Types.NUMERIC); else ps.setBigDecimal(3, new BigDecimal(i).divide(new BigDecimal(8)));
        ps.setString(4, i % 3 == 0 ? null : "n" + i);
        ps.setBoolean(5, i % 2 == 0);
        ps.setObject(6, java.time.LocalDate.of(2024, 1, 1).plusDays(i));
        ps.addBatch();
      }
      waitFor("BATCH_READY");
      int[] counts = ps.executeBatch();
      waitFor("BATCH_SENT");
      System.out.println("PLAIN_COUNTS=" + summarize(counts));
    }
    printRows(st, "PLAIN_ROWS", "select count(*), sum(id), md5(string_agg(concat_ws('|', id, n, label, price, doubled, note, flag, day), ',' order by id)) from bj_plain");
    printRows(st, "PLAIN_NOW", "select count(distinct at) from bj_plain");
  }

  /** Expressions around the parameters, and now(). */
  private static void expressions(Connection conn, Statement st) throws Exception {
    conn.setAutoCommit(false);
    try (PreparedStatement ps = conn.prepareStatement("insert into bj_expr (a, b, c, d) values (?::int + 1, lower(?), now(), round(?::numeric * 2, 1))")) {
      for (int i = 0; i < 40; i++) {
        ps.setString(1, String.valueOf(i));
        ps.setString(2, "MiXeD " + i);
        ps.setDouble(3, i / 3.0);
        ps.addBatch();
      }
      System.out.println("EXPR_COUNTS=" + summarize(ps.executeBatch()));
    }
    conn.commit();
    conn.setAutoCommit(true);
    printRows(st, "EXPR_ROWS", "select count(*), md5(string_agg(concat_ws('|', id, a, b, d), ',' order by id)), count(distinct c) from bj_expr");
  }

  /** A batch whose row `bad` fails (a value too long, or a duplicate of row 0), in autocommit. */
  private static void failing(Connection conn, Statement st, String key, String sql, int rows, int bad, String table) throws Exception {
    st.execute("truncate " + table);
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      for (int i = 0; i < rows; i++) {
        ps.setInt(1, i == bad && key.startsWith("UNIQUE") ? 0 : i);
        ps.setString(2, i == bad && key.equals("VARCHAR") ? "too long" : "ok");
        ps.addBatch();
      }
      ps.executeBatch();
      System.out.println(key + "=no error");
    } catch (BatchUpdateException e) {
      printBatchError(key, e);
    }
    printRows(st, key + "_TABLE", "select count(*), coalesce(max(n), -1) from " + table);
  }

  /** A duplicate in the middle of a batch inside the client's transaction: the transaction is failed after it. */
  private static void explicitFailure(Connection conn, Statement st) throws Exception {
    conn.setAutoCommit(false);
    try (Statement inTx = conn.createStatement()) {
      inTx.execute("insert into bj_tx values (-1)");
      try (PreparedStatement ps = conn.prepareStatement("insert into bj_tx (n) values (?)")) {
        for (int i = 0; i < 40; i++) {
          ps.setInt(1, i == 25 ? 3 : i);
          ps.addBatch();
        }
        ps.executeBatch();
        System.out.println("TX_FAIL=no error");
      } catch (BatchUpdateException e) {
        printBatchError("TX_FAIL", e);
      }
      try {
        inTx.executeQuery("select 1").close();
        System.out.println("TX_AFTER=usable");
      } catch (SQLException e) {
        System.out.println("TX_AFTER=" + e.getSQLState());
      }
      conn.rollback();
    }
    conn.setAutoCommit(true);
    printRows(st, "TX_TABLE", "select count(*) from bj_tx");
  }

  /** A statement-level trigger (fires once per statement) and a BEFORE ROW trigger that skips even rows. */
  private static void triggers(Connection conn, Statement st) throws Exception {
    try (PreparedStatement ps = conn.prepareStatement("insert into bj_stmt (n) values (?)")) {
      for (int i = 0; i < 20; i++) {
        ps.setInt(1, i);
        ps.addBatch();
      }
      System.out.println("STMT_COUNTS=" + summarize(ps.executeBatch()));
    }
    printRows(st, "STMT_LOG", "select count(*), string_agg(n::text, ',' order by n) from bj_log");
    try (PreparedStatement ps = conn.prepareStatement("insert into bj_before (n, note) values (?, ?)")) {
      for (int i = 0; i < 20; i++) {
        ps.setInt(1, i);
        ps.setString(2, "row " + i);
        ps.addBatch();
      }
      System.out.println("BEFORE_COUNTS=" + Arrays.toString(ps.executeBatch()));
    }
    printRows(st, "BEFORE_ROWS", "select count(*), string_agg(note, ',' order by n) from bj_before");
  }

  /** Row 10 refers to row 11, inserted after it: one statement per row fails there. */
  private static void selfReference(Connection conn, Statement st) throws Exception {
    try (PreparedStatement ps = conn.prepareStatement("insert into bj_self (n, parent) values (?, ?)")) {
      for (int i = 0; i < 20; i++) {
        ps.setInt(1, i);
        if (i == 10) ps.setInt(2, 11); else if (i == 0) ps.setNull(2, Types.INTEGER); else ps.setInt(2, i - 1);
        ps.addBatch();
      }
      ps.executeBatch();
      System.out.println("SELF=no error");
    } catch (BatchUpdateException e) {
      printBatchError("SELF", e);
    }
    printRows(st, "SELF_TABLE", "select count(*) from bj_self");
  }

  /** Twelve rows into a relation whose INSTEAD OF trigger or rule may write no row for some. */
  private static void countsOnly(Connection conn, Statement st, String key, String sql, String check) throws Exception {
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      for (int i = 0; i < 12; i++) {
        ps.setInt(1, i);
        ps.addBatch();
      }
      System.out.println(key + "_COUNTS=" + Arrays.toString(ps.executeBatch()));
    }
    printRows(st, key + "_ROWS", check);
  }

  private static void printBatchError(String key, BatchUpdateException e) {
    SQLException next = e.getNextException();
    // The first line names the batch entry that failed ("Batch entry 30 insert into ... was aborted").
    String first = e.getMessage().split("\n")[0].replaceAll("was aborted: .*", "was aborted");
    System.out.println(key + "=" + first);
    System.out.println(key + "_STATE=" + (next != null ? next.getSQLState() : e.getSQLState()));
    System.out.println(key + "_MESSAGE=" + (next != null ? next.getMessage().split("\n")[0] : ""));
    System.out.println(key + "_COUNTS=" + summarize(e.getUpdateCounts()));
  }

  /** Update counts as value x times, run-length encoded. */
  private static String summarize(int[] counts) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < counts.length; ) {
      int j = i;
      while (j < counts.length && counts[j] == counts[i]) j++;
      if (out.length() > 0) out.append(',');
      out.append(counts[i]).append('x').append(j - i);
      i = j;
    }
    return out.toString();
  }

  private static void printRows(Statement st, String key, String sql) throws SQLException {
    try (ResultSet rs = st.executeQuery(sql)) {
      int width = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        StringBuilder line = new StringBuilder();
        for (int i = 1; i <= width; i++) {
          if (i > 1) line.append(',');
          line.append(rs.getString(i));
        }
        System.out.println(key + "=" + line);
      }
    }
  }
}
