package dev.batcher.jdbc.internal;

import dev.batcher.BatchResult;
import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * {@code JDBC_BATCH}: one prepared statement, {@code addBatch} per item, one {@code executeBatch}.
 * When the driver reports which entry failed (a non-rewritten batch's update counts: the failed
 * entry is {@link Statement#EXECUTE_FAILED}, or the counts stop before it), that item is
 * pinpointed, but only where the counts are known to be per item ({@code pinpoints}): a driver
 * that rewrites the batch into multi-row statements (pgjdbc's {@code reWriteBatchedInserts},
 * MariaDB's bulk protocol) reports counts per rewritten statement, and a wrong pinpoint would
 * fail a good item.
 *
 * <p>Internal: not API, may change in any release.
 */
public final class JdbcBatchWriter<T> implements RowWriter<T> {
  private final String sql;
  private final Binding<T> binding;
  private final boolean pinpoints;

  public JdbcBatchWriter(String sql, Binding<T> binding, boolean pinpoints) {
    this.sql = sql;
    this.binding = binding;
    this.pinpoints = pinpoints;
  }

  @Override
  public @Nullable BatchResult write(Connection c, List<T> batch, StatementCounts counts)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < batch.size(); i++) {
        try {
          binding.bind(ps, 1, batch.get(i));
        } catch (SQLException e) {
          throw new FailedItem(i, e); // a value the driver could not bind
        }
        ps.addBatch();
      }
      counts.sent(batch.size());
      ps.executeBatch();
    }
    return null;
  }

  @Override
  public int pinpoint(SQLException failure, List<T> batch) {
    if (!pinpoints) {
      return -1;
    }
    for (Throwable t : SqlErrors.chain(failure)) {
      if (t instanceof BatchUpdateException b) {
        int[] counts = b.getUpdateCounts();
        if (counts == null) {
          return -1;
        }
        for (int i = 0; i < counts.length; i++) {
          if (counts[i] == Statement.EXECUTE_FAILED) {
            return i;
          }
        }
        // Drivers that stop at the failed entry report only the ones before it.
        return counts.length < batch.size() ? counts.length : -1;
      }
    }
    return -1;
  }
}
