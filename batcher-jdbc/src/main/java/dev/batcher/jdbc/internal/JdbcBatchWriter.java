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
 * Where the driver names the entry that failed ({@code pinpoints}), that item is pinpointed; a
 * wrong pinpoint would fail a good item, so each driver is read only the way it was seen to
 * behave:
 *
 * <ul>
 *   <li>H2 executes every entry and marks exactly the failed ones {@link
 *       Statement#EXECUTE_FAILED} in the update counts: the first of them is the item;
 *   <li>pgjdbc stops at the failed entry but, with autocommit off, marks <em>every</em> entry
 *       failed, so its counts say nothing; its message does: {@code "Batch entry 2500 INSERT ...
 *       was aborted"}, counted over the entries as added. That holds only when the batch was not
 *       rewritten into multi-row statements ({@code reWriteBatchedInserts}, checked on the
 *       connection) and only in the driver's English messages (another locale is not read, and
 *       the batcher bisects);
 *   <li>MariaDB Connector/J 3.5 marks every entry failed and names no entry: not pinpointed.
 * </ul>
 *
 * <p>Counts in which every entry failed never pinpoint, whatever the driver.
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

  /** One entry: one statement. */
  @Override
  public boolean oneStatement(List<T> batch) {
    return batch.size() == 1;
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
      try {
        ps.executeBatch();
      } catch (BatchUpdateException e) {
        int entry = pinpoints ? PgBatchEntry.failedEntry(c, e, batch.size()) : -1;
        if (entry >= 0) {
          throw new FailedItem(entry, e);
        }
        throw e;
      }
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
        int first = -1;
        boolean anyDone = false;
        for (int i = 0; i < counts.length; i++) {
          if (counts[i] == Statement.EXECUTE_FAILED) {
            first = first < 0 ? i : first;
          } else {
            anyDone = true;
          }
        }
        if (first >= 0) {
          return anyDone || batch.size() == 1 ? first : -1; // all marked failed: says nothing
        }
        // Drivers that stop at the failed entry report only the ones before it.
        return counts.length < batch.size() ? counts.length : -1;
      }
    }
    return -1;
  }
}
