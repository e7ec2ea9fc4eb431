package dev.batcher.jdbc.internal;

import dev.batcher.jdbc.Dialect;
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
 *   <li>lock-existing: {@code SELECT k FROM t WHERE k IN (...) ORDER BY k FOR UPDATE}, the same
 *       in every dialect.
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

  /** Selects, and locks in key order, the rows of {@code n} keys that exist. */
  static String lockExisting(TableSpec<?> t, int n) {
    String keys = keyList(t);
    boolean one = t.keys().size() == 1;
    StringJoiner row = new StringJoiner(", ", "(", ")");
    for (int i = 0; i < t.keys().size(); i++) {
      row.add("?");
    }
    String in = one ? InsertSql.repeatRows("?", n) : InsertSql.repeatRows(row.toString(), n);
    return "SELECT " + keys + " FROM " + t.quoted() + " WHERE " + (one ? keys : "(" + keys + ")")
        + " IN (" + in + ") ORDER BY " + keys + " FOR UPDATE";
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
    for (Column<?> c : t.columns()) {
      sourceValues.add(SOURCE + "." + c.quoted());
    }
    return "MERGE INTO " + t.quoted() + " AS " + TARGET + " USING (VALUES "
        + InsertSql.repeatRows(t.rowOfParameters(), n) + ") AS " + SOURCE + " ("
        + t.columnList() + ") ON " + on
        + (add ? " WHEN MATCHED THEN UPDATE SET " + assignValues(t,
            c -> c + " = " + TARGET + "." + c + " + " + SOURCE + "." + c) : "")
        + " WHEN NOT MATCHED THEN INSERT (" + t.columnList() + ") VALUES " + sourceValues;
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
