package dev.batcher.jdbc.internal;

/**
 * The text of plain multi-row inserts: {@code INSERT INTO t (a, b) VALUES (?, ?), (?, ?)}; the
 * same in every dialect.
 *
 * <p>Internal: not API, may change in any release.
 */
public final class InsertSql {
  private InsertSql() {}

  /** {@code INSERT INTO t (cols) VALUES} followed by {@code rows} rows of parameters. */
  public static String insertRows(TableSpec<?> table, int rows) {
    return "INSERT INTO " + table.quoted() + " (" + table.columnList() + ") VALUES "
        + repeatRows(table.rowOfParameters(), rows);
  }

  /** {@code row} repeated {@code n} times, comma-separated. */
  public static String repeatRows(String row, int n) {
    StringBuilder sb = new StringBuilder((row.length() + 2) * n);
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(row);
    }
    return sb.toString();
  }
}
