package dev.batcher.jdbc.internal;

import dev.batcher.BatchResult;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Writes one batch on a connection whose transaction the sink owns (autocommit off; the sink
 * commits or rolls back). One implementation per {@link dev.batcher.jdbc.WriteStrategy}.
 * Implementations are stateless between batches and thread-safe.
 *
 * <p>Internal: not API, may change in any release.
 */
public interface RowWriter<T> {

  /**
   * Writes {@code batch}.
   *
   * @return the per-item outcome when some items failed on their own while the others were
   *     written (an update-only counter merge whose key is missing), or null when all were written
   * @throws SQLException on failure; a {@link FailedItem} when the writer knows which item broke
   *     the batch
   */
  @Nullable BatchResult write(Connection connection, List<T> batch, StatementCounts counts)
      throws SQLException;

  /**
   * Which item {@code failure} is about, when the database said so in a way only this writer can
   * read (COPY's line number, a JDBC batch's failing entry); -1 if it cannot tell.
   */
  default int pinpoint(SQLException failure, List<T> batch) {
    return -1;
  }
}
