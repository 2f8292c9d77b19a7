// pgJDBC smoke run through aurora-pg-proxy's DSQL mode, the way DBeaver and DataGrip use the
// driver. Run in source-file mode: java -cp postgresql.jar DsqlSmoke.java <jdbc-url>
// Prints KEY=value lines that test/integration/dsql-jdbc.test.ts checks; any failure prints
// ERROR=<sqlstate> <message> and exits 1.
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.HexFormat;
import java.util.Properties;

public class DsqlSmoke {
  public static void main(String[] args) {
    if (args.length != 1) {
      System.out.println("ERROR=usage: DsqlSmoke <jdbc-url>");
      System.exit(2);
    }
    try {
      run(args[0]);
      System.out.println("DONE=ok");
    } catch (SQLException e) {
      System.out.println("ERROR=" + e.getSQLState() + " " + e.getMessage().replace('\n', ' '));
      System.exit(1);
    }
  }

  private static Connection open(String url) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", "admin"); // no password: the proxy signs the IAM token
    props.setProperty("ApplicationName", "DsqlSmoke");
    return DriverManager.getConnection(url, props);
  }

  private static void run(String url) throws SQLException {
    try (Connection conn = open(url); Statement st = conn.createStatement()) {
      try (ResultSet rs = st.executeQuery("select current_user, current_setting('application_name')")) {
        rs.next();
        System.out.println("USER=" + rs.getString(1));
        System.out.println("APPLICATION_NAME=" + rs.getString(2));
      }

      st.execute("drop table if exists jdbc_types, jdbc_batch");
      st.execute(
          "create table jdbc_types (id integer primary key, big bigint not null, name text,"
              + " at timestamp, amount numeric(12,4), flag boolean, data bytea)");
      st.execute("comment on table jdbc_types is 'values of every JDBC setter'");
      st.execute("create table jdbc_batch (n integer primary key, label varchar(20))");

      try (PreparedStatement ps = conn.prepareStatement("insert into jdbc_types values (?, ?, ?, ?, ?, ?, ?)")) {
        ps.setInt(1, 1);
        ps.setLong(2, 9007199254740993L);
        ps.setString(3, "grüße, 'quoted'");
        ps.setTimestamp(4, Timestamp.valueOf("2024-02-29 12:34:56.789"));
        ps.setBigDecimal(5, new BigDecimal("12345678.9012"));
        ps.setBoolean(6, true);
        ps.setBytes(7, new byte[] {0, 1, (byte) 0xfe, (byte) 0xff});
        System.out.println("INSERT_TYPES=" + ps.executeUpdate());
      }
      try (PreparedStatement ps = conn.prepareStatement("select * from jdbc_types where id = ?")) {
        ps.setInt(1, 1);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          System.out.println("ROW_ID=" + rs.getInt("id"));
          System.out.println("ROW_BIG=" + rs.getLong("big"));
          System.out.println("ROW_NAME=" + rs.getString("name"));
          System.out.println("ROW_AT=" + rs.getTimestamp("at"));
          System.out.println("ROW_AMOUNT=" + rs.getBigDecimal("amount").toPlainString());
          System.out.println("ROW_FLAG=" + rs.getBoolean("flag"));
          System.out.println("ROW_DATA=" + HexFormat.of().formatHex(rs.getBytes("data")));
        }
      }

      try (PreparedStatement ps = conn.prepareStatement("insert into jdbc_batch values (?, ?)")) {
        for (int i = 1; i <= 100; i++) {
          ps.setInt(1, i);
          ps.setString(2, "row " + i);
          ps.addBatch();
        }
        int[] counts = ps.executeBatch();
        int sum = 0;
        for (int c : counts) sum += (c == Statement.SUCCESS_NO_INFO ? 1 : c);
        System.out.println("BATCH_STATEMENTS=" + counts.length);
        System.out.println("BATCH_ROWS=" + sum);
      }
      try (ResultSet rs = st.executeQuery("select count(*), sum(n), max(label) from jdbc_batch")) {
        rs.next();
        System.out.println("BATCH_TABLE=" + rs.getLong(1) + "," + rs.getLong(2) + "," + rs.getString(3));
      }

      // A prepared statement run more often than prepareThreshold (5) becomes a named server-side one.
      try (PreparedStatement ps = conn.prepareStatement("select label from jdbc_batch where n = ?")) {
        StringBuilder labels = new StringBuilder();
        for (int i = 1; i <= 8; i++) {
          ps.setInt(1, i * 10);
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            if (labels.length() > 0) labels.append('|');
            labels.append(rs.getString(1));
          }
        }
        System.out.println("REPEATED=" + labels);
      }

      conn.setAutoCommit(false);
      try (PreparedStatement ps = conn.prepareStatement("insert into jdbc_batch values (?, ?)")) {
        ps.setInt(1, 1001);
        ps.setString(2, "committed");
        ps.executeUpdate();
        conn.commit();
        ps.setInt(1, 1002);
        ps.setString(2, "rolled back");
        ps.executeUpdate();
        conn.rollback();
      }
      conn.setAutoCommit(true);
      try (Connection other = open(url); Statement st2 = other.createStatement();
          ResultSet rs = st2.executeQuery("select string_agg(label, '|' order by n) from jdbc_batch where n > 1000")) {
        rs.next();
        System.out.println("TX_VISIBLE=" + rs.getString(1));
      }

      DatabaseMetaData md = conn.getMetaData();
      System.out.println("DB_PRODUCT=" + md.getDatabaseProductName());
      try (ResultSet rs = md.getTables(null, "public", "%", new String[] {"TABLE", "VIEW"})) {
        while (rs.next()) {
          System.out.println(
              "TABLE=" + rs.getString("TABLE_SCHEM") + "." + rs.getString("TABLE_NAME") + "," + rs.getString("TABLE_TYPE")
                  + "," + rs.getString("REMARKS"));
        }
      }
      try (ResultSet rs = md.getColumns(null, "public", "jdbc_types", null)) {
        while (rs.next()) {
          System.out.println(
              "COLUMN=" + rs.getInt("ORDINAL_POSITION") + "," + rs.getString("COLUMN_NAME") + ","
                  + rs.getString("TYPE_NAME") + "," + rs.getInt("DATA_TYPE") + "," + rs.getInt("COLUMN_SIZE") + ","
                  + rs.getString("IS_NULLABLE"));
        }
      }
      try (ResultSet rs = md.getPrimaryKeys(null, "public", "jdbc_types")) {
        while (rs.next()) System.out.println("PRIMARY_KEY=" + rs.getString("COLUMN_NAME") + "," + rs.getString("PK_NAME"));
      }

      try {
        st.executeQuery("select * from jdbc_missing_table");
        System.out.println("MISSING_TABLE=no error");
      } catch (SQLException e) {
        System.out.println("MISSING_TABLE=" + e.getSQLState());
      }
      try (ResultSet rs = st.executeQuery("select 'still usable'")) {
        rs.next();
        System.out.println("AFTER_ERROR=" + rs.getString(1));
      }
    }
  }
}
