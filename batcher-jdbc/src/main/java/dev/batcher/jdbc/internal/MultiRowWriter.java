package dev.batcher.jdbc.internal;

import dev.batcher.BatchResult;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * {@code MULTI_ROW}: {@code INSERT ... VALUES (?, ?), (?, ?), ...} (or the dialect's upsert or
 * insert-ignore form), in chunks: no statement carries more than {@link #MAX_PARAMETERS} bind
 * parameters (the PostgreSQL and MySQL protocol limit) or, by the size of its values, more than
 * the byte budget. Full chunks share one statement text, so the driver can reuse its plan.
 *
 * <p>Internal: not API, may change in any release.
 */
public final class MultiRowWriter<T> implements RowWriter<T> {
  /** Bind parameters one statement may carry: a 16-bit count in both protocols. */
  public static final int MAX_PARAMETERS = 65_535;

  private final TableSpec<T> table;
  private final RowsSql sql;
  private final int rowsPerChunk;
  private final long maxStatementBytes;

  /** How the statement text for {@code n} rows is made: a prefix, n rows, a suffix. */
  public interface RowsSql {
    String forRows(int n);
  }

  public MultiRowWriter(TableSpec<T> table, RowsSql sql, long maxStatementBytes) {
    this.table = table;
    this.sql = sql;
    this.rowsPerChunk = MAX_PARAMETERS / table.columns().size();
    this.maxStatementBytes = maxStatementBytes;
  }

  /** The most rows one statement carries by the parameter limit (9,362 for 7 columns). */
  public int rowsPerChunk() {
    return rowsPerChunk;
  }

  /**
   * One chunk: at least one row and no more than the parameter limit allows, and, with a byte
   * budget, rows whose estimated size together stays within it (a quarter of MariaDB's
   * {@code max_allowed_packet} by default, so most batches fit). The values are read here to
   * estimate, and again to bind; should a value function answer differently the second time,
   * {@link #write} still sends a batch judged to fit as one statement, so that the batch, which
   * the sink then runs in autocommit, stays atomic.
   */
  @Override
  public boolean oneStatement(List<T> batch) {
    if (batch.isEmpty() || batch.size() > rowsPerChunk) {
      return false;
    }
    if (maxStatementBytes == Long.MAX_VALUE) {
      return true;
    }
    long bytes = 0;
    for (T item : batch) {
      bytes += Estimates.rowBytes(table, item);
      if (bytes > maxStatementBytes) {
        return false;
      }
    }
    return true;
  }

  /**
   * Writes the batch: as one statement when the sink runs it in autocommit (which it does only
   * when {@link #oneStatement} said it fits one; a caller's shorter list of the same items, such
   * as one row per key, fits too), otherwise in chunks within the parameter limit and the byte
   * budget, in the sink's transaction.
   */
  @Override
  public @Nullable BatchResult write(Connection c, List<T> batch, StatementCounts counts)
      throws SQLException {
    if (c.getAutoCommit() && !batch.isEmpty() && batch.size() <= rowsPerChunk) {
      writeChunk(c, batch, 0, counts);
      return null;
    }
    int start = 0;
    while (start < batch.size()) {
      int end = chunkEnd(batch, start);
      writeChunk(c, batch.subList(start, end), start, counts);
      start = end;
    }
    return null;
  }

  /** The end of the chunk starting at {@code start}: by the parameter limit and the byte budget. */
  private int chunkEnd(List<T> batch, int start) {
    int end = Math.min(batch.size(), start + rowsPerChunk);
    if (maxStatementBytes == Long.MAX_VALUE) {
      return end;
    }
    long bytes = 0;
    for (int i = start; i < end; i++) {
      bytes += Estimates.rowBytes(table, batch.get(i));
      if (bytes > maxStatementBytes && i > start) {
        return i; // this row starts the next chunk; a row alone always gets a statement
      }
    }
    return end;
  }

  /**
   * Sends one chunk, whose first row is item {@code first} of the batch. A value that cannot be
   * bound fails its item; so does a chunk of one row that fails for an item's reason.
   */
  private void writeChunk(Connection c, List<T> rows, int first, StatementCounts counts)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql.forRows(rows.size()))) {
      int p = 1;
      for (int r = 0; r < rows.size(); r++) {
        T row = rows.get(r);
        for (Column<T> col : table.columns()) {
          try {
            col.bind(ps, p++, row);
          } catch (SQLException e) {
            throw new FailedItem(first + r, e); // a value the driver could not bind
          }
        }
      }
      counts.sent(1);
      try {
        ps.executeUpdate();
      } catch (SQLException e) {
        if (rows.size() == 1 && SqlErrors.classify(e) == SqlErrors.Kind.ITEM) {
          throw new FailedItem(first, e); // the chunk's only row is the one at fault
        }
        throw e;
      }
    }
  }
}
