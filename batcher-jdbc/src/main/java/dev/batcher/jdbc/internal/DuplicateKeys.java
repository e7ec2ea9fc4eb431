package dev.batcher.jdbc.internal;

import java.math.BigInteger;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * Pinpoints the item of a unique violation from the key the database names, for any writer: the
 * item whose key values print exactly as the database printed the duplicate key, if exactly one
 * item of the batch does.
 *
 * <ul>
 *   <li>PostgreSQL's detail names the columns and values: {@code Key (id, kind)=(42, a) already
 *       exists.} The columns must all be columns of the sink (an expression index is not read);
 *   <li>MariaDB/MySQL (error 1062) names the values only, joined with {@code -}: {@code Duplicate
 *       entry '42-a' for key 'PRIMARY'}; they are read against the sink's key columns, so only a
 *       sink with {@code keyColumns} is pinpointed, and those must be the violated key;
 *   <li>H2 prints the existing row, not the key: not read (the batcher bisects).
 * </ul>
 *
 * <p>Only values whose text is certain are compared: strings, integers, UUIDs. Any doubt (a value
 * of another type, a key printed truncated, two items that print alike) returns -1: a wrong
 * pinpoint would fail a good item, a missed one only costs a bisection.
 *
 * <p>Internal: not API, may change in any release. Immutable and thread-safe.
 *
 * @param <T> the item type
 */
public final class DuplicateKeys<T> {
  private static final Pattern PG_DETAIL =
      Pattern.compile("Key \\((.+)\\)=\\((.*)\\) already exists\\.");
  private static final Pattern MARIADB_ENTRY =
      Pattern.compile("Duplicate entry '(.*)' for key '([^']*)'", Pattern.DOTALL);
  private static final int MARIADB_DUPLICATE = 1062;
  /** Stands for a key with a NULL part: no database prints a NUL character in a message. */
  private static final String NEVER_PRINTED = "\0";

  private final TableSpec<T> table;

  public DuplicateKeys(TableSpec<T> table) {
    this.table = table;
  }

  /** The index of the one item {@code failure} names as a duplicate key, or -1. */
  public int pinpoint(Throwable failure, List<T> batch) {
    for (Throwable t : SqlErrors.chain(failure)) {
      if (!(t instanceof SQLException e)) {
        continue;
      }
      if (e.getErrorCode() == MARIADB_DUPLICATE && e.getMessage() != null) {
        Matcher m = MARIADB_ENTRY.matcher(e.getMessage());
        if (m.find() && !table.keys().isEmpty()) {
          return onlyMatch(batch, table.keyColumns(), "-", m.group(1));
        }
      } else if ("23505".equals(e.getSQLState())) {
        String detail = postgresDetail(e);
        Matcher m = detail == null ? null : PG_DETAIL.matcher(detail);
        if (m != null && m.find()) {
          List<Column<T>> columns = columnsNamed(m.group(1));
          return columns == null ? -1 : onlyMatch(batch, columns, ", ", m.group(2));
        }
      }
    }
    return -1;
  }

  /** The detail of a PostgreSQL error: from the server's message, else from the text. */
  private static @Nullable String postgresDetail(SQLException e) {
    if (e.getClass().getName().startsWith("org.postgresql.")) {
      try {
        if (e instanceof PSQLException p) {
          ServerErrorMessage server = p.getServerErrorMessage();
          if (server != null && server.getDetail() != null) {
            return server.getDetail();
          }
        }
      } catch (LinkageError absent) {
        // pgjdbc is not on the module path; read the message below
      }
    }
    return e.getMessage();
  }

  /**
   * The sink's columns named in a PostgreSQL key list ({@code id, "Kind"}), or null if any is not
   * one of them.
   */
  private @Nullable List<Column<T>> columnsNamed(String list) {
    List<Column<T>> out = new ArrayList<>();
    for (String part : list.split(", ", -1)) {
      String name = part.length() >= 2 && part.startsWith("\"") && part.endsWith("\"")
          ? part.substring(1, part.length() - 1).replace("\"\"", "\"") : part;
      Column<T> found = null;
      for (Column<T> c : table.columns()) {
        if (c.name().equals(name)) {
          found = c;
        }
      }
      if (found == null) {
        return null;
      }
      out.add(found);
    }
    return out;
  }

  private static <T> int onlyMatch(List<T> batch, List<Column<T>> columns, String separator,
      String printed) {
    int match = -1;
    for (int i = 0; i < batch.size(); i++) {
      String key = print(batch.get(i), columns, separator);
      if (key == null) {
        return -1; // a value whose text is not certain: do not guess
      }
      if (key.equals(printed)) {
        if (match >= 0) {
          return -1; // two items print alike
        }
        match = i;
      }
    }
    return match;
  }

  /** The item's key as the database prints it, or null when that is not certain. */
  private static <T> @Nullable String print(T item, List<Column<T>> columns, String separator) {
    StringJoiner j = new StringJoiner(separator);
    for (Column<T> c : columns) {
      Object v = c.valueOf(item);
      if (v == null) {
        return NEVER_PRINTED; // a NULL key never conflicts
      } else if (v instanceof String || v instanceof Long || v instanceof Integer || v instanceof Short
          || v instanceof Byte || v instanceof BigInteger || v instanceof UUID) {
        j.add(v.toString());
      } else {
        return null;
      }
    }
    return j.toString();
  }
}
