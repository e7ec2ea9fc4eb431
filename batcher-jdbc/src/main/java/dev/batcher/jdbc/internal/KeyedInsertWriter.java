package dev.batcher.jdbc.internal;

import dev.batcher.BatchResult;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * {@code UPSERT} and {@code INSERT_IGNORE}: the batch cut down to one item per key, in key order,
 * then sent as the dialect's multi-row upsert or insert-ignore ({@link KeyedSql}) through a {@link
 * MultiRowWriter}, chunked the same way; on PostgreSQL, when every column's array type is certain
 * ({@link UnnestArrays#certainFor}) and no byte budget was set, as one statement with the rows as
 * arrays, whose text is the same for any number of rows.
 *
 * <p>It promises:
 * <ul>
 *   <li><b>upsert</b>: after commit, each key of the batch has the row of its <em>last</em> item;
 *       the earlier items of a repeated key succeed too, superseded. No statement names a key
 *       twice, so PostgreSQL never raises "ON CONFLICT DO UPDATE command cannot affect row a second
 *       time" and H2's MERGE never sees two rows of one key.
 *   <li><b>insert-ignore</b>: a row is inserted for each key that has none, from the <em>first</em>
 *       item of that key; an item whose key exists (a redelivery) succeeds and writes nothing. Only
 *       a duplicate key is skipped: a NOT NULL or data error still fails the statement (MariaDB is
 *       not sent {@code INSERT IGNORE}, which would turn it into a warning). On MariaDB a
 *       duplicate of any other unique index of the table is skipped as well.
 *   <li>rows go out in key order, so two batches that share keys lock them in the same order.
 * </ul>
 * Keys compare as {@link KeyedRows} says. Statements: one per batch with arrays, else one per
 * chunk of the cut-down batch (on H2,
 * again when a concurrent batch inserted one of its new keys first: {@link
 * KeyedSql#sendRetryingDuplicatesOnH2}).
 *
 * <p>Internal: not API, may change in any release.
 */
public final class KeyedInsertWriter<T> implements RowWriter<T> {
  private final TableSpec<T> table;
  private final boolean lastWins;
  private final MultiRowWriter<T> rows;
  /** PostgreSQL with certain array types: the rows as arrays, one statement per batch. */
  private final @Nullable UnnestArrays arrays;
  private final @Nullable String unnestSql;

  private KeyedInsertWriter(TableSpec<T> table, boolean lastWins, MultiRowWriter.RowsSql sql,
      long maxStatementBytes, Function<String, String> unnestSql) {
    this.table = table;
    this.lastWins = lastWins;
    this.rows = new MultiRowWriter<>(table, sql, maxStatementBytes);
    this.arrays = UnnestArrays.forKeyed(table, maxStatementBytes);
    this.unnestSql = arrays == null ? null : unnestSql.apply(arrays.unnestCall());
  }

  /** The {@code UPSERT} writer of {@code table}: the last item of a key wins. */
  public static <T> KeyedInsertWriter<T> upsert(TableSpec<T> table, long maxStatementBytes) {
    return new KeyedInsertWriter<>(table, true, n -> KeyedSql.upsert(table, n),
        maxStatementBytes, call -> KeyedSql.pgUnnestUpsert(table, call));
  }

  /** The {@code INSERT_IGNORE} writer of {@code table}: the first item of a new key wins. */
  public static <T> KeyedInsertWriter<T> insertIgnore(TableSpec<T> table,
      long maxStatementBytes) {
    return new KeyedInsertWriter<>(table, false, n -> KeyedSql.insertIgnore(table, n),
        maxStatementBytes, call -> KeyedSql.pgUnnestInsertIgnore(table, call));
  }

  /** The statement sent on PostgreSQL for any number of rows, or null where chunks are sent. */
  @Nullable String unnestSql() {
    return unnestSql;
  }

  /**
   * With arrays, one statement per batch; otherwise one chunk when the whole batch fits one
   * (cutting it to one row per key only shortens it, and {@link MultiRowWriter#write} then sends
   * the rows left as one statement).
   */
  @Override
  public boolean oneStatement(List<T> batch) {
    return arrays != null || rows.oneStatement(batch);
  }

  @Override
  public @Nullable BatchResult write(Connection c, List<T> batch, StatementCounts counts)
      throws SQLException {
    List<Integer> winners = KeyedRows.onePerKey(table, batch, lastWins);
    List<T> send = new ArrayList<>(winners.size());
    for (int i : winners) {
      send.add(batch.get(i));
    }
    if (arrays != null && unnestSql != null) {
      writeArrays(c, send, winners, arrays, unnestSql, counts);
      return null;
    }
    // Each statement is idempotent (an upsert or insert-ignore), so H2 may run them all again.
    try {
      KeyedSql.sendRetryingDuplicatesOnH2(table.dialect(), () -> rows.write(c, send, counts));
    } catch (FailedItem f) { // its index counts the rows sent: name the batch's item
      throw new FailedItem(winners.get(f.index()), (SQLException) f.getCause());
    }
    return null; // every item succeeds with its key's row
  }

  /** One statement, the rows as arrays; a value that cannot be sent fails its item. */
  private void writeArrays(Connection c, List<T> send, List<Integer> winners,
      UnnestArrays arrays, String sql, StatementCounts counts) throws SQLException {
    List<@Nullable Object[]> values = new ArrayList<>(send.size());
    for (T item : send) {
      values.add(KeyedRows.rowOf(table, item));
    }
    arrays.execute(c, sql, values, counts, winners::get);
  }

}
