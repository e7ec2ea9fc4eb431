package dev.batcher.jdbc.internal;

import dev.batcher.jdbc.Dialect;
import java.sql.Connection;
import java.sql.JDBCType;
import java.sql.ResultSet;
import java.sql.SQLDataException;
import java.sql.SQLException;
import java.sql.SQLType;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Values a MariaDB/MySQL server cannot take, found before anything is sent, so that they fail
 * their own item ({@link FailedItem}, pinpointed under every strategy) instead of the batch:
 *
 * <ul>
 *   <li>a NaN or infinite {@code Double} or {@code Float}: Connector/J inlines it as a bare word
 *       ({@code NaN}), which the server reads as a column name ("Unknown column 'NaN'", 42S22, an
 *       error about no item that would fail the whole batch). Refused with SQLState {@value
 *       #NOT_FINITE};
 *   <li>a row whose values alone take more bytes than the server's {@code max_allowed_packet}:
 *       the server answers with error 1153 and closes the connection (or the socket simply
 *       breaks), which looks like a lost connection and would be retried whole forever. Refused
 *       with SQLState {@value #TOO_BIG} (and no vendor code: nothing was sent, so the connection
 *       stays in the pool). The count is a lower bound (UTF-8
 *       bytes of text, plus one byte per quote the driver escapes; bytes of a {@code byte[]}),
 *       so no row that would fit is refused; a row just under the limit whose escaping takes it
 *       over still reaches the server, whose 1153 is classified as the item's fault.
 * </ul>
 *
 * <p>The server's {@code max_allowed_packet} is read once per sink ({@code SELECT
 * @@max_allowed_packet}, one round trip), and only when a row's lower bound reaches 1 KiB, the
 * smallest value the server allows.
 *
 * <p>Internal: not API, may change in any release. Thread-safe: the limit is read at most a few
 * times by racing batches, each reading the same value.
 */
public final class ValueLimits<T> {
  /** SQLState of a NaN or infinite value: numeric value out of range. */
  public static final String NOT_FINITE = "22003";

  /** SQLState of a row bigger than {@code max_allowed_packet}: string data, right truncation. */
  public static final String TOO_BIG = "22001";

  /** The smallest {@code max_allowed_packet} the server accepts: a row under it always fits. */
  private static final long SMALLEST_PACKET = 1024;

  private final TableSpec<T> table;
  /** The columns whose type may carry a float, text or bytes: the only ones read again here. */
  private final List<Column<T>> checked;
  // Written once by whichever batch reads the server's limit first, read by every later batch;
  // volatile for visibility only: racing batches read the same value, so either write may win.
  private volatile long maxAllowedPacket = -1; // unknown until a big row needs it

  private ValueLimits(TableSpec<T> table, List<Column<T>> checked) {
    this.table = table;
    this.checked = checked;
  }

  /**
   * The limits of {@code table}'s database, or null where there are none to check: not
   * MariaDB/MySQL, or no column whose JDBC type may carry a float, text or bytes (integers,
   * dates and booleans need no check, and are not read twice).
   */
  public static <T> @Nullable ValueLimits<T> of(TableSpec<T> table) {
    if (table.dialect() != Dialect.MARIADB) {
      return null;
    }
    List<Column<T>> checked = new ArrayList<>();
    for (Column<T> c : table.columns()) {
      if (mayCarry(c.type())) {
        checked.add(c);
      }
    }
    return checked.isEmpty() ? null : new ValueLimits<>(table, List.copyOf(checked));
  }

  /** Whether a column of {@code type} may be given a float, a text or bytes. */
  private static boolean mayCarry(SQLType type) {
    return !(type instanceof JDBCType j) || switch (j) {
      case BIGINT, INTEGER, SMALLINT, TINYINT, BOOLEAN, BIT, DATE, TIME, TIMESTAMP,
          TIME_WITH_TIMEZONE, TIMESTAMP_WITH_TIMEZONE, NULL -> false;
      default -> true;
    };
  }

  /**
   * Checks every item of {@code batch}.
   *
   * @throws FailedItem naming the first item with a value the server cannot take
   * @throws SQLException if {@code max_allowed_packet} was needed and could not be read
   */
  public void check(Connection c, List<T> batch, StatementCounts counts) throws SQLException {
    List<Column<T>> columns = checked;
    for (int i = 0; i < batch.size(); i++) {
      T item = batch.get(i);
      long bytes = 0;
      for (Column<T> col : columns) {
        Object v = col.valueOf(item);
        if (v instanceof Double d && !Double.isFinite(d)
            || v instanceof Float f && !Float.isFinite(f)) {
          throw new FailedItem(i, new SQLDataException("column '" + col.name() + "' cannot"
              + " hold " + v + " on " + table.dialect() + ": only finite numbers are stored",
              NOT_FINITE));
        }
        bytes += leastBytes(v);
      }
      if (bytes >= SMALLEST_PACKET) {
        long limit = maxAllowedPacket(c, counts);
        if (bytes > limit) {
          throw new FailedItem(i, new SQLDataException("a row of " + table.name() + " takes at"
              + " least " + bytes + " bytes, more than the server's max_allowed_packet of "
              + limit, TOO_BIG)); // no vendor code: nothing was sent, the connection is fine
        }
      }
    }
  }

  private long maxAllowedPacket(Connection c, StatementCounts counts) throws SQLException {
    long limit = maxAllowedPacket;
    if (limit < 0) {
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT @@max_allowed_packet")) {
        counts.roundTrip();
        limit = rs.next() ? rs.getLong(1) : Long.MAX_VALUE;
      }
      maxAllowedPacket = limit;
    }
    return limit;
  }

  /** The fewest bytes {@code v} can take in a statement: a lower bound, never more. */
  static long leastBytes(@Nullable Object v) {
    if (v instanceof CharSequence s) {
      long bytes = 0;
      for (int i = 0; i < s.length(); i++) {
        char ch = s.charAt(i);
        if (ch < 0x80) {
          bytes += ch == '\'' ? 2 : 1; // a quote is escaped in every sql_mode
        } else if (ch < 0x800) {
          bytes += 2;
        } else if (Character.isSurrogate(ch)) {
          bytes += 1; // a pair is 4 bytes, a lone one the driver's 1-byte '?'
        } else {
          bytes += 3;
        }
      }
      return bytes;
    } else if (v instanceof byte[] b) {
      return b.length;
    }
    return 0;
  }
}
