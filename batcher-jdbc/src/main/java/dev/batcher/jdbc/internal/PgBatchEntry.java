package dev.batcher.jdbc.internal;

import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.postgresql.core.BaseConnection;

/**
 * Reads which entry of a failed JDBC batch pgjdbc names: {@code "Batch entry 2500 INSERT INTO ...
 * was aborted: ERROR: ..."}. pgjdbc counts the entries it sent, which are the entries as added
 * unless it rewrote the batch into multi-row statements ({@code reWriteBatchedInserts}); its
 * update counts do not help, since with autocommit off it marks every entry failed.
 *
 * <p>Internal: not API, may change in any release.
 */
final class PgBatchEntry {
  /**
   * The entry number is formatted in the JVM's locale: {@code 2,500}, {@code 2.500}, {@code
   * 2'500} or with a (narrow) no-break space; never with a plain space, which ends the number.
   */
  private static final Pattern ENTRY =
      Pattern.compile("^Batch entry (\\d{1,3}(?:[,.'\u00a0\u202f]\\d{3})+|\\d+) ");

  private PgBatchEntry() {}

  /**
   * The index of the failed entry, or -1 when unsure: not pgjdbc's failure, a message in another
   * language, an index outside the batch, or a connection that rewrites batches.
   */
  static int failedEntry(Connection c, BatchUpdateException failure, int batchSize) {
    SQLException next = failure.getNextException();
    if (next == null || !next.getClass().getName().startsWith("org.postgresql.")
        || failure.getMessage() == null) {
      return -1;
    }
    int entry = entryNumber(failure.getMessage());
    if (entry < 0 || entry >= batchSize || rewrites(c)) {
      return -1;
    }
    return entry;
  }

  /** The N of a message starting {@code "Batch entry N "}, or -1. */
  static int entryNumber(String message) {
    Matcher m = ENTRY.matcher(message);
    String digits = m.find() ? m.group(1).replaceAll("\\D", "") : "";
    if (digits.isEmpty() || digits.length() > 9) {
      return -1;
    }
    return Integer.parseInt(digits);
  }

  /** Whether pgjdbc rewrites batched inserts on {@code c}; true when it cannot tell. */
  private static boolean rewrites(Connection c) {
    try {
      return !c.isWrapperFor(BaseConnection.class)
          || c.unwrap(BaseConnection.class).getQueryExecutor().isReWriteBatchedInsertsEnabled();
    } catch (SQLException | LinkageError e) {
      return true;
    }
  }
}
