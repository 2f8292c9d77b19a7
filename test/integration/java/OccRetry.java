// pgJDBC against aurora-pg-proxy's OCC retries. Run in source-file mode:
//   java -cp postgresql.jar OccRetry.java <jdbc-url>
// The DSQL stand-in fails statements marked occ-conflict=N their first N times (40001, OC000).
// Prints KEY=value lines for test/integration/dsql-occ-retry.test.ts.
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

public class OccRetry {
  public static void main(String[] args) throws Exception {
    try (Connection c = DriverManager.getConnection(args[0], "admin", "")) {
      // Autocommit, extended protocol with a parameter: a single implicit transaction.
      try (PreparedStatement ps = c.prepareStatement("/* occ-conflict=2 */ insert into occ_jdbc values (?)")) {
        ps.setInt(1, 1);
        System.out.println("AUTOCOMMIT_INSERT=" + ps.executeUpdate());
      } catch (SQLException e) {
        System.out.println("AUTOCOMMIT_ERROR=" + e.getSQLState());
      }
      // Inside an explicit transaction the driver must see the conflict itself.
      c.setAutoCommit(false);
      try (PreparedStatement ps = c.prepareStatement("/* occ-conflict=1 */ insert into occ_jdbc values (?)")) {
        ps.setInt(1, 2);
        ps.executeUpdate();
        System.out.println("TX_INSERT=unexpectedly succeeded");
      } catch (SQLException e) {
        System.out.println("TX_ERROR=" + e.getSQLState());
        c.rollback();
      }
      c.setAutoCommit(true);
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select count(*), coalesce(sum(v), 0) from occ_jdbc")) {
        rs.next();
        System.out.println("ROWS=" + rs.getLong(1) + " SUM=" + rs.getLong(2));
      }
    } catch (SQLException e) {
      System.out.println("ERROR=" + e.getSQLState() + " " + e.getMessage().replace('\n', ' '));
      System.exit(1);
    }
  }
}
