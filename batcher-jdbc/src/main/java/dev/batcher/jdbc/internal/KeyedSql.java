package dev.batcher.jdbc.internal;

import dev.batcher.jdbc.Dialect;
import java.sql.JDBCType;
import java.sql.SQLException;
import java.util.List;
import java.util.StringJoiner;
import java.util.function.Function;

/**
 * The text of the keyed statements for {@code n} rows of every column, per dialect:
 *
 * <ul>
 *   <li>upsert: PostgreSQL {@code INSERT ... VALUES ... ON CONFLICT (k) DO UPDATE SET c =
 *       EXCLUDED.c}; MariaDB {@code INSERT ... ON DUPLICATE KEY UPDATE c = VALUES(c)}; H2 {@code
 *       MERGE INTO t (cols) KEY (k) VALUES ...};
 *   <li>insert-ignore: PostgreSQL {@code ON CONFLICT (k) DO NOTHING}; MariaDB {@code ON DUPLICATE
 *       KEY UPDATE k = k} (not {@code INSERT IGNORE}, which also turns NOT NULL and data errors
 *       into warnings); H2 {@code MERGE INTO t USING (VALUES ...) ... WHEN NOT MATCHED THEN
 *       INSERT};
 *   <li>counter merge (an upsert that adds): PostgreSQL {@code ON CONFLICT (k) DO UPDATE SET c =
 *       t.c + EXCLUDED.c}; MariaDB {@code ON DUPLICATE KEY UPDATE c = c + VALUES(c)}; H2 {@code
 *       MERGE INTO t USING (VALUES ...) ... WHEN MATCHED THEN UPDATE SET c = t.c + s.c WHEN NOT
 *       MATCHED THEN INSERT};
 *   <li>lock-existing: the position of each key that has a row, its row locked: PostgreSQL and H2
 *       {@code SELECT s.ord FROM t JOIN (VALUES (1, ?), ...) AS s (ord, k) ON t.k = s.k ORDER BY
 *       t.k FOR UPDATE}; MariaDB {@code SELECT s.ord FROM (SELECT 1 AS ord, ? AS k UNION ALL ...)
 *       AS s STRAIGHT_JOIN t ON t.k = s.k FOR UPDATE}.
 * </ul>
 *
 * <p>On PostgreSQL the three keyed statements also come with the rows as arrays ({@code INSERT
 * ... SELECT ... FROM unnest(...) ... ON CONFLICT ...}), one text for any number of rows, which
 * the keyed writers use when every column's array type is certain ({@link
 * UnnestArrays#certainFor}).
 *
 * <p>Internal: not API, may change in any release.
 */
final class KeyedSql {
  /** The alias of the target table in statements that name both it and the new row. */
  private static final String TARGET = "batcher_t";
  /** The alias of the rows sent, in H2's MERGE ... USING. */
  private static final String SOURCE = "batcher_s";

  /** Runs of a keyed statement on H2 that a concurrent insert of a new key may cost. */
  static final int H2_ATTEMPTS = 5;

  private KeyedSql() {}

  /** A statement (or a run of idempotent statements) to send. */
  interface Send {
    void run() throws SQLException;
  }

  /**
   * Runs {@code send}; on H2, runs it again when it fails with a duplicate key (23505), up to
   * {@value #H2_ATTEMPTS} runs in all.
   *
   * <p>H2's {@code MERGE} decides "not matched" before it inserts, so when two transactions merge
   * the same new key at once the second one's insert fails with a duplicate key once the first
   * commits, where PostgreSQL's {@code ON CONFLICT} and MariaDB's {@code ON DUPLICATE KEY} would
   * take the other branch. H2 undoes a failed statement alone and keeps the transaction, and by
   * then the other row is committed, so the same statement run again matches it. A duplicate of
   * another unique index fails every run and is thrown as it is.
   */
  static void sendRetryingDuplicatesOnH2(Dialect dialect, Send send) throws SQLException {
    for (int attempt = 1; ; attempt++) {
      try {
        send.run();
        return;
      } catch (SQLException e) {
        if (dialect != Dialect.H2 || attempt >= H2_ATTEMPTS || !"23505".equals(e.getSQLState())) {
          throw e;
        }
      }
    }
  }

  static String upsert(TableSpec<?> t, int n) {
    return switch (t.dialect()) {
      case POSTGRESQL -> InsertSql.insertRows(t, n) + " ON CONFLICT (" + keyList(t)
          + ") DO UPDATE SET " + assignValues(t, c -> c + " = EXCLUDED." + c);
      case MARIADB -> InsertSql.insertRows(t, n) + " ON DUPLICATE KEY UPDATE "
          + assignValues(t, c -> c + " = VALUES(" + c + ")");
      case H2 -> "MERGE INTO " + t.quoted() + " (" + t.columnList() + ") KEY (" + keyList(t)
          + ") VALUES " + InsertSql.repeatRows(t.rowOfParameters(), n);
    };
  }

  static String insertIgnore(TableSpec<?> t, int n) {
    return switch (t.dialect()) {
      case POSTGRESQL -> InsertSql.insertRows(t, n) + " ON CONFLICT (" + keyList(t)
          + ") DO NOTHING";
      case MARIADB -> {
        String k = t.keyColumns().get(0).quoted();
        yield InsertSql.insertRows(t, n) + " ON DUPLICATE KEY UPDATE " + k + " = " + k;
      }
      case H2 -> mergeUsing(t, n, false);
    };
  }

  static String counterMerge(TableSpec<?> t, int n) {
    return switch (t.dialect()) {
      case POSTGRESQL -> "INSERT INTO " + t.quoted() + " AS " + TARGET + " (" + t.columnList()
          + ") VALUES " + InsertSql.repeatRows(t.rowOfParameters(), n) + " ON CONFLICT ("
          + keyList(t) + ") DO UPDATE SET "
          + assignValues(t, c -> c + " = " + TARGET + "." + c + " + EXCLUDED." + c);
      case MARIADB -> InsertSql.insertRows(t, n) + " ON DUPLICATE KEY UPDATE "
          + assignValues(t, c -> c + " = " + c + " + VALUES(" + c + ")");
      case H2 -> mergeUsing(t, n, true);
    };
  }

  /**
   * PostgreSQL's upsert over {@code unnest(...)} ({@code call}, from {@link UnnestArrays}): the
   * same text whatever the number of rows.
   */
  static String pgUnnestUpsert(TableSpec<?> t, String call) {
    return pgUnnestInsert(t, call) + " ON CONFLICT (" + keyList(t) + ") DO UPDATE SET "
        + assignValues(t, c -> c + " = EXCLUDED." + c);
  }

  /** PostgreSQL's insert-ignore over {@code unnest(...)}. */
  static String pgUnnestInsertIgnore(TableSpec<?> t, String call) {
    return pgUnnestInsert(t, call) + " ON CONFLICT (" + keyList(t) + ") DO NOTHING";
  }

  /** PostgreSQL's counter merge (an upsert that adds) over {@code unnest(...)}. */
  static String pgUnnestCounterMerge(TableSpec<?> t, String call) {
    return pgUnnestInsert(t, call) + " ON CONFLICT (" + keyList(t) + ") DO UPDATE SET "
        + assignValues(t, c -> c + " = " + TARGET + "." + c + " + EXCLUDED." + c);
  }

  /**
   * {@code INSERT INTO t AS batcher_t (a, b) SELECT batcher_c1, batcher_c2 FROM unnest(...) WITH
   * ORDINALITY AS batcher_s (batcher_c1, batcher_c2, batcher_ord) ORDER BY batcher_ord}: the rows
   * are inserted, and their keys locked, in the order of the arrays (key order), whatever the
   * planner would otherwise do. (It sees the function's order and adds no sort.) The positional
   * aliases cannot clash with the table's column names, which only the target list uses.
   */
  private static String pgUnnestInsert(TableSpec<?> t, String call) {
    StringJoiner aliases = new StringJoiner(", ");
    for (int i = 1; i <= t.columns().size(); i++) {
      aliases.add("batcher_c" + i);
    }
    return "INSERT INTO " + t.quoted() + " AS " + TARGET + " (" + t.columnList() + ") SELECT "
        + aliases + " FROM " + call + " WITH ORDINALITY AS " + SOURCE + " (" + aliases
        + ", batcher_ord) ORDER BY batcher_ord";
  }

  /**
   * Locks the rows of {@code n} keys that exist and returns, for each, the 1-based position of
   * the key (parameters {@code 1..n}, a key's columns in a row) that matched it: one row per key
   * that has a row, so the database's own equality (its collation, its time zones, its types)
   * decides which keys exist, not Java's. A row two keys match (two spellings of one key under a
   * case-insensitive collation) comes back once per key.
   *
   * <ul>
   *   <li>PostgreSQL and H2 join a {@code VALUES} list, {@code ... ORDER BY k FOR UPDATE}:
   *       PostgreSQL locks the rows as it returns them, in the database's key order, whatever
   *       plan joins them; H2 locks them as it reads them, which the order does not govern (H2's
   *       own lock timeout, a retryable error, then breaks a deadlock). On PostgreSQL the list
   *       starts with a row of the key columns' own types (NULLs, matching nothing), so untyped
   *       parameters compare as the columns do;
   *   <li>MariaDB joins a {@code UNION ALL} of the keys, {@code STRAIGHT_JOIN} the table, so it
   *       reads the keys in the order sent (the sink's key order) and each row by its key: only
   *       the rows of the keys are locked, in that order.
   * </ul>
   */
  static String lockExisting(TableSpec<?> t, int n) {
    List<? extends Column<?>> keys = t.keyColumns();
    StringJoiner names = new StringJoiner(", ");
    StringJoiner on = new StringJoiner(" AND ");
    StringJoiner order = new StringJoiner(", ");
    for (int i = 1; i <= keys.size(); i++) {
      names.add("batcher_k" + i);
      String column = TARGET + "." + keys.get(i - 1).quoted();
      on.add(column + " = " + SOURCE + ".batcher_k" + i);
      order.add(column);
    }
    StringBuilder sql = new StringBuilder("SELECT " + SOURCE + ".batcher_ord FROM ");
    if (t.dialect() == Dialect.MARIADB) {
      sql.append('(');
      for (int row = 1; row <= n; row++) {
        sql.append(row == 1 ? "SELECT 1 AS batcher_ord" : " UNION ALL SELECT " + row);
        for (int i = 1; i <= keys.size(); i++) {
          sql.append(", ?").append(row == 1 ? " AS batcher_k" + i : "");
        }
      }
      return sql.append(") AS ").append(SOURCE).append(" STRAIGHT_JOIN ").append(t.quoted())
          .append(" AS ").append(TARGET).append(" ON ").append(on).append(" FOR UPDATE")
          .toString();
    }
    StringBuilder values = new StringBuilder();
    if (t.dialect() == Dialect.POSTGRESQL) {
      // A first row of the key columns' own types (NULLs, which match nothing): PostgreSQL then
      // types the VALUES columns as the table's, so that a parameter pgjdbc sends untyped (a
      // Timestamp, a string bound as OTHER) compares as the column does, not as text.
      values.append("(0");
      for (Column<?> k : keys) {
        values.append(", (SELECT ").append(k.quoted()).append(" FROM ").append(t.quoted())
            .append(" LIMIT 0)");
      }
      values.append("), ");
    }
    for (int row = 1; row <= n; row++) {
      values.append(row == 1 ? "(" : ", (").append(row);
      for (Column<?> k : keys) {
        values.append(", ").append(valuesParameter(t.dialect(), k));
      }
      values.append(')');
    }
    return sql.append(t.quoted()).append(" AS ").append(TARGET).append(" JOIN (VALUES ")
        .append(values).append(") AS ").append(SOURCE).append(" (batcher_ord, ").append(names)
        .append(") ON ").append(on).append(" ORDER BY ").append(order).append(" FOR UPDATE")
        .append(t.dialect() == Dialect.POSTGRESQL ? " OF " + TARGET : "").toString();
  }

  /**
   * H2's {@code MERGE INTO t USING (VALUES ...) AS s (cols) ON (keys match)}: inserts the rows
   * whose key has none, and, when {@code add}, adds the value columns to the rows that exist.
   */
  private static String mergeUsing(TableSpec<?> t, int n, boolean add) {
    StringJoiner on = new StringJoiner(" AND ");
    for (Column<?> k : t.keyColumns()) {
      on.add(TARGET + "." + k.quoted() + " = " + SOURCE + "." + k.quoted());
    }
    StringJoiner sourceValues = new StringJoiner(", ", "(", ")");
    StringJoiner parameters = new StringJoiner(", ", "(", ")");
    for (Column<?> c : t.columns()) {
      sourceValues.add(SOURCE + "." + c.quoted());
      parameters.add(valuesParameter(t.dialect(), c));
    }
    return "MERGE INTO " + t.quoted() + " AS " + TARGET + " USING (VALUES "
        + InsertSql.repeatRows(parameters.toString(), n) + ") AS " + SOURCE + " ("
        + t.columnList() + ") ON " + on
        + (add ? " WHEN MATCHED THEN UPDATE SET " + assignValues(t,
            c -> c + " = " + TARGET + "." + c + " + " + SOURCE + "." + c) : "")
        + " WHEN NOT MATCHED THEN INSERT (" + t.columnList() + ") VALUES " + sourceValues;
  }

  /**
   * A parameter of {@code column} in a {@code VALUES} list. H2 types a parameter there as text,
   * which it cannot compare with (or store as) binary, so a binary column's is cast.
   */
  private static String valuesParameter(Dialect dialect, Column<?> column) {
    if (dialect == Dialect.H2 && column.type() instanceof JDBCType j && (j == JDBCType.BINARY
        || j == JDBCType.VARBINARY || j == JDBCType.LONGVARBINARY || j == JDBCType.BLOB)) {
      return "CAST(? AS VARBINARY)";
    }
    return "?";
  }

  private static String keyList(TableSpec<?> t) {
    return join(t.keyColumns());
  }

  /** {@code a = f(a), b = f(b)} over the value columns, {@code f} given the quoted name. */
  private static String assignValues(TableSpec<?> t, Function<String, String> f) {
    StringJoiner j = new StringJoiner(", ");
    for (Column<?> c : t.valueColumns()) {
      j.add(f.apply(c.quoted()));
    }
    return j.toString();
  }

  private static String join(List<? extends Column<?>> columns) {
    StringJoiner j = new StringJoiner(", ");
    for (Column<?> c : columns) {
      j.add(c.quoted());
    }
    return j.toString();
  }
}
