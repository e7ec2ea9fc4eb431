package dev.batcher.jdbc.internal;

import java.sql.BatchUpdateException;
import java.sql.SQLException;
import java.sql.SQLNonTransientException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Classifies a failed write by the SQLStates (and MySQL/MariaDB vendor codes) in its whole chain:
 * every cause, and every {@link SQLException#getNextException() next exception} of a {@link
 * BatchUpdateException}.
 *
 * <ul>
 *   <li>{@link Kind#RETRYABLE}: serialization failure and deadlock (40001, 40P01; MySQL 1213),
 *       lock and statement timeouts (55P03, 57014; MySQL 1205; H2 HYT00), connection errors
 *       (08xxx), admin shutdown (57P01-57P03), too many connections (53300), and, when the
 *       SQLState says none of this or that, the JDBC transient and recoverable exception
 *       classes: the batch is retried whole;
 *   <li>{@link Kind#ITEM}: data and constraint errors (22xxx, 23xxx; MySQL's generic HY000 data
 *       errors 1265, 1292, 1366; MySQL 1153, a packet bigger than {@code max_allowed_packet},
 *       although its SQLState is 08S01), and anything unrecognised, including a value function
 *       that threw: some item is at fault, so the batch is split (or the item pinpointed);
 *   <li>{@link Kind#BATCH}: errors about no item: syntax, a missing table or column, permissions
 *       (42xxx), values that do not match the statement's columns (21S01, H2 21S02), a feature
 *       the driver lacks (0Axxx), authentication (28xxx), invalid catalog or schema
 *       (3Dxxx, 3Fxxx): the batch fails
 *       at once, never split.
 * </ul>
 *
 * <p>Each exception is read by its vendor code first, then its SQLState, then its class.
 *
 * <p>Internal: not API, may change in any release.
 */
public final class SqlErrors {
  private SqlErrors() {}

  /** MySQL/MariaDB ER_NET_PACKET_TOO_LARGE: a statement bigger than max_allowed_packet. */
  public static final int PACKET_TOO_LARGE = 1153;

  private static final String PACKET_MESSAGE = "Got a packet bigger than 'max_allowed_packet'";

  /** What a failure is about. */
  public enum Kind {
    RETRYABLE,
    ITEM,
    BATCH
  }

  /** Classifies {@code failure}: retryable anywhere in the chain wins, then item, then batch. */
  public static Kind classify(Throwable failure) {
    boolean item = false;
    boolean batch = false;
    for (Throwable t : chain(failure)) {
      Kind k = classifyOne(t);
      if (k == Kind.RETRYABLE) {
        return Kind.RETRYABLE;
      } else if (k == Kind.ITEM) {
        item = true;
      } else if (k == Kind.BATCH) {
        batch = true;
      }
    }
    return item || !batch ? Kind.ITEM : Kind.BATCH;
  }

  /**
   * Whether the connection itself is gone (08xxx, 57P01-57P03, MySQL 1153 after which the server
   * closes it, a recoverable exception): it must not be reused, whatever the failure's kind.
   */
  public static boolean isConnectionLost(Throwable failure) {
    for (Throwable t : chain(failure)) {
      if (t instanceof SQLRecoverableException) {
        return true;
      }
      if (t instanceof SQLException s && s.getErrorCode() == PACKET_TOO_LARGE) {
        return true;
      }
      if (t instanceof SQLException s && s.getSQLState() != null) {
        String state = s.getSQLState();
        if (state.startsWith("08") || state.startsWith("57P0")) {
          return true;
        }
      }
    }
    return false;
  }

  /** The SQLState of the first exception in the chain that has one, or null. */
  public static @Nullable String sqlState(Throwable failure) {
    for (Throwable t : chain(failure)) {
      if (t instanceof SQLException s && s.getSQLState() != null) {
        return s.getSQLState();
      }
    }
    return null;
  }

  /**
   * {@code failure} as the batcher's retry classifier should see it: a {@link
   * SQLTransientException} when retryable, a {@link SQLNonTransientException} otherwise, with the
   * original's message, SQLState and vendor code, and the original as cause.
   */
  public static SQLException forRetryPolicy(Throwable failure, Kind kind) {
    SQLException s = failure instanceof SQLException e ? e : null;
    String state = sqlState(failure);
    int code = s == null ? 0 : s.getErrorCode();
    String message = String.valueOf(failure.getMessage());
    return kind == Kind.RETRYABLE
        ? new SQLTransientException(message, state, code, failure)
        : new SQLNonTransientException(message, state, code, failure);
  }

  /**
   * One exception's kind: its MySQL/MariaDB vendor code, then its SQLState; the JDBC transient and
   * recoverable exception classes decide only when the state says nothing (HikariCP reports a
   * failed login as an {@link java.sql.SQLTransientConnectionException} with SQLState 28000,
   * which no retry mends).
   */
  static @Nullable Kind classifyOne(Throwable t) {
    if (!(t instanceof SQLException e)) {
      return null;
    }
    Kind byCode = byVendorCode(e);
    if (byCode != null) {
      return byCode;
    }
    Kind byState = byState(e.getSQLState());
    if (byState != null) {
      return byState;
    }
    return t instanceof SQLTransientException || t instanceof SQLRecoverableException
        ? Kind.RETRYABLE : null;
  }

  private static @Nullable Kind byVendorCode(SQLException e) {
    int code = e.getErrorCode();
    if (code == 1213 || code == 1205) { // MySQL/MariaDB deadlock, lock wait timeout
      return Kind.RETRYABLE;
    }
    if (code == 1265 || code == 1292 || code == 1366) { // data truncated, bad value (HY000)
      return Kind.ITEM;
    }
    if (code == PACKET_TOO_LARGE || String.valueOf(e.getMessage()).contains(PACKET_MESSAGE)) {
      // A value too big for the server's packet (SQLState 08S01, the connection is closed): the
      // row's fault, so retrying the batch whole would only fail it again.
      return Kind.ITEM;
    }
    return null;
  }

  private static @Nullable Kind byState(@Nullable String state) {
    if (state == null || state.length() < 2) {
      return null;
    }
    switch (state) {
      case "40001": case "40P01": case "55P03": case "57014": case "57P01": case "57P02":
      case "57P03": case "53300": case "HYT00":
        return Kind.RETRYABLE;
      // The statement's values do not match its columns (MySQL/MariaDB 21S01, H2 21S02): a
      // mistake in the SQL, about no item. PostgreSQL's 21000 ("ON CONFLICT DO UPDATE command
      // cannot affect row a second time") stays the items' fault: two of them share a key.
      case "21S01": case "21S02":
        return Kind.BATCH;
      default:
        break;
    }
    switch (state.substring(0, 2)) {
      case "08":
      case "40":
        return Kind.RETRYABLE;
      case "22":
      case "23":
        return Kind.ITEM;
      case "42":
      case "0A": // feature not supported
      case "28":
      case "3D":
      case "3F":
        return Kind.BATCH;
      default:
        return null;
    }
  }

  /** The failure, its causes and next exceptions, each once. */
  static List<Throwable> chain(Throwable failure) {
    List<Throwable> out = new ArrayList<>();
    Map<Throwable, Boolean> seen = new IdentityHashMap<>();
    List<Throwable> todo = new ArrayList<>();
    todo.add(failure);
    while (!todo.isEmpty() && out.size() < 64) {
      Throwable t = todo.remove(0);
      if (t == null || seen.put(t, Boolean.TRUE) != null) {
        continue;
      }
      out.add(t);
      if (t instanceof SQLException s && s.getNextException() != null) {
        todo.add(s.getNextException());
      }
      if (t.getCause() != null) {
        todo.add(t.getCause());
      }
    }
    return out;
  }
}
