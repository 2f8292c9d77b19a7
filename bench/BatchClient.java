// Bench client for bench/batch-insert.ts: loads rows into bench_batch with one pgJDBC
// executeBatch (default options: autocommit) and prints the milliseconds it took.
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.sql.Types;

public class BatchClient {
  public static void main(String[] args) throws Exception {
    int rows = Integer.parseInt(args[1]);
    try (Connection conn = DriverManager.getConnection(args[0], "postgres", "");
        PreparedStatement ps = conn.prepareStatement("insert into bench_batch (id, label, amount, at, flag, extra) values (?, ?, ?, ?, ?, ?)")) {
      long start = 1767225600000L; // 2026-01-01T00:00:00Z
      for (int i = 1; i <= rows; i++) {
        ps.setInt(1, i);
        ps.setString(2, "item " + i + " of the bench");
        ps.setBigDecimal(3, new BigDecimal(i).multiply(new BigDecimal("1.25")));
        ps.setTimestamp(4, new Timestamp(start + 61_000L * i));
        ps.setBoolean(5, i % 3 == 0);
        if (i % 7 == 0) ps.setNull(6, Types.INTEGER); else ps.setInt(6, i * 3);
        ps.addBatch();
      }
      long t0 = System.nanoTime();
      ps.executeBatch();
      System.out.println((System.nanoTime() - t0) / 1_000_000.0);
    }
  }
}
