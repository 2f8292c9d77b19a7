// pgJDBC with its default options, connecting again and again through aurora-pg-proxy with
// --reuse-connections, as an application that opens a connection per request does. Run in
// source-file mode:
//   java -cp postgresql.jar ReuseSessions.java <jdbc-url> <rounds>
// Each round changes a setting and executes one PreparedStatement often enough that the driver
// makes it a named server-side statement (prepareThreshold, 5 by default). Prints KEY=value lines
// for test/integration/dsql-reuse-clients.test.ts.
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

public class ReuseSessions {
  public static void main(String[] args) throws Exception {
    int rounds = Integer.parseInt(args[1]);
    try {
      for (int round = 0; round < rounds; round++) {
        try (Connection c = DriverManager.getConnection(args[0], "admin", "")) {
          try (Statement s = c.createStatement()) {
            // What the previous round set must not be seen here.
            try (ResultSet rs = s.executeQuery("show statement_timeout")) {
              rs.next();
              System.out.println("STATEMENT_TIMEOUT=" + rs.getString(1));
            }
            s.execute("set statement_timeout = '77s'");
          }
          long sum = 0;
          try (PreparedStatement ps = c.prepareStatement("select ?::int + 1")) {
            for (int i = 0; i < 7; i++) {
              ps.setInt(1, i);
              try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                sum += rs.getInt(1);
              }
            }
          }
          System.out.println("SUM=" + sum);
          try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select pg_backend_pid()")) {
            rs.next();
            System.out.println("PID=" + rs.getInt(1));
          }
        }
      }
      System.out.println("DONE=ok");
    } catch (SQLException e) {
      System.out.println("ERROR=" + e.getSQLState() + " " + e.getMessage().replace('\n', ' '));
      System.exit(1);
    }
  }
}
