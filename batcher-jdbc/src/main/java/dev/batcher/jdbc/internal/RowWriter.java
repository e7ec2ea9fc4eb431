package dev.batcher.jdbc.internal;

import dev.batcher.BatchResult;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Writes one batch on a connection whose transaction the sink owns: autocommit off, the sink
 * commits or rolls back; or, when the writer sends the batch as {@linkplain #oneStatement one
 * statement}, autocommit on, that statement being its own transaction. One implementation per
 * {@link dev.batcher.jdbc.WriteStrategy}. Implementations are stateless between batches and
 * thread-safe.
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
   * Whether {@link #write} sends {@code batch} as exactly one statement, which the database makes
   * atomic by itself (PostgreSQL, InnoDB, H2): the sink then runs it in autocommit, and saves the
   * COMMIT round trip (and, before a COPY, the BEGIN that pgjdbc sends on its own). False when in
   * doubt: a writer that might send two statements must run in a transaction.
   */
  default boolean oneStatement(List<T> batch) {
    return false;
  }

  /**
   * Which item {@code failure} is about, when the database said so in a way only this writer can
   * read (COPY's line number, a JDBC batch's failing entry); -1 if it cannot tell.
   */
  default int pinpoint(SQLException failure, List<T> batch) {
    return -1;
  }
}
