package dev.batcher.jdbc.internal;

import dev.batcher.BatchResult;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * {@code COUNTER_MERGE}: adds each item's value columns (deltas) to the row of its key.
 *
 * <p>It promises:
 * <ul>
 *   <li>each key is sent once, with the sum of its items' deltas ({@code Long}, {@code Integer},
 *       {@code Short}, {@code Byte} add as {@code long}, failing on overflow; a {@code BigDecimal}
 *       or {@code BigInteger} makes the sum a {@code BigDecimal}; a null delta makes the sum null,
 *       which a NOT NULL counter rejects), so after commit every counter moved by exactly the sum
 *       of the batch's deltas for it;
 *   <li>keys go out <b>sorted</b> ({@link KeyedRows#ORDER}), and the rows are locked in that order,
 *       so concurrent batches over the same keys wait for each other and never deadlock;
 *   <li>by default a key with no row is inserted with its summed delta ({@link
 *       KeyedSql#counterMerge}): one statement per chunk;
 *   <li>{@code updateOnly}: the existing rows are first selected and locked in key order ({@link
 *       KeyedSql#lockExisting}), the database saying which of the batch's keys each row is (so
 *       its equality decides, not Java's: a key at another time zone offset, or in another case
 *       under a case-insensitive collation, finds its row), then only those keys are merged, so
 *       nothing is inserted; every item whose key has no row fails permanently with
 *       an {@link SQLException} of SQLState {@value #NO_ROW} naming the key and the table, while
 *       the others commit: two statements per chunk. (PostgreSQL's {@code UPDATE ... FROM ...
 *       RETURNING} would take one, but the order in which it locks rows is the plan's, not ours.)
 * </ul>
 * On PostgreSQL, when every column's array type is certain ({@link UnnestArrays#certainFor}) and
 * no byte budget was set, the merge is one statement with the rows as arrays ({@link
 * KeyedSql#pgUnnestCounterMerge}), its text the same for any number of keys; elsewhere chunks
 * keep under 65,535 bind parameters and the byte budget, as {@link MultiRowWriter}'s do.
 * On H2 a chunk whose new key a concurrent batch inserted first is sent again ({@link
 * KeyedSql#sendRetryingDuplicatesOnH2}); H2 undid the failed run alone, so no delta counts twice.
 *
 * <p>Internal: not API, may change in any release.
 */
public final class CounterMergeWriter<T> implements RowWriter<T> {
  /** SQLState of an update-only item whose key has no row: "no data". */
  public static final String NO_ROW = "02000";

  private final TableSpec<T> table;
  private final long maxStatementBytes;
  private final boolean updateOnly;

  /** One key of the batch: its row of values (deltas summed) and the items that make it up. */
  private static final class Merged {
    final @Nullable Object[] row;
    final List<Integer> items = new ArrayList<>(1);

    Merged(@Nullable Object[] row) {
      this.row = row;
    }
  }

  /** PostgreSQL with certain array types: the rows as arrays, one statement per batch. */
  private final @Nullable UnnestArrays arrays;
  private final @Nullable String unnestSql;

  public CounterMergeWriter(TableSpec<T> table, long maxStatementBytes, boolean updateOnly) {
    this.table = table;
    this.maxStatementBytes = maxStatementBytes;
    this.updateOnly = updateOnly;
    this.arrays = UnnestArrays.forKeyed(table, maxStatementBytes);
    this.unnestSql = arrays == null ? null
        : KeyedSql.pgUnnestCounterMerge(table, arrays.unnestCall());
  }

  /** The merge sent on PostgreSQL for any number of keys, or null where chunks are sent. */
  @Nullable String unnestSql() {
    return unnestSql;
  }

  /**
   * One statement per batch: with arrays, or with no byte budget and a batch under the parameter
   * limit (merging keys only shortens it); never with {@code updateOnly}, which locks first.
   */
  @Override
  public boolean oneStatement(List<T> batch) {
    return !updateOnly && (arrays != null || (maxStatementBytes == Long.MAX_VALUE
        && !batch.isEmpty() && batch.size() <= MultiRowWriter.MAX_PARAMETERS
            / table.columns().size()));
  }

  @Override
  public @Nullable BatchResult write(Connection c, List<T> batch, StatementCounts counts)
      throws SQLException {
    List<Map.Entry<List<@Nullable Object>, Merged>> merged = merge(batch);
    if (!updateOnly) {
      send(c, merged, counts);
      return null;
    }
    BitSet existing = lockExisting(c, merged, counts);
    List<Map.Entry<List<@Nullable Object>, Merged>> present =
        new ArrayList<>(existing.cardinality());
    BatchResult.Builder result = null;
    for (int k = 0; k < merged.size(); k++) {
      Map.Entry<List<@Nullable Object>, Merged> e = merged.get(k);
      if (existing.get(k)) {
        present.add(e);
        continue;
      }
      if (result == null) {
        result = BatchResult.builder(batch.size());
      }
      for (int i : e.getValue().items) {
        result.failedPermanently(i, new SQLException("COUNTER_MERGE updateOnly: " + table.name()
            + " has no row for key " + e.getKey(), NO_ROW));
      }
    }
    send(c, present, counts);
    return result == null ? null : result.build();
  }

  /** The batch as one row per key, deltas summed, in key order. */
  private List<Map.Entry<List<@Nullable Object>, Merged>> merge(List<T> batch) {
    List<Column<T>> cols = table.columns();
    Map<List<@Nullable Object>, Merged> byKey = new LinkedHashMap<>();
    for (int i = 0; i < batch.size(); i++) {
      T item = batch.get(i);
      List<@Nullable Object> key = KeyedRows.keyOf(table, item);
      Merged m = byKey.get(key);
      if (m == null) {
        @Nullable Object[] row = new Object[cols.size()];
        for (int j = 0; j < row.length; j++) {
          row[j] = cols.get(j).valueOf(item);
        }
        m = new Merged(row);
        byKey.put(key, m);
      } else {
        for (Column<T> v : table.valueColumns()) {
          int j = cols.indexOf(v);
          m.row[j] = add(m.row[j], v.valueOf(item));
        }
      }
      m.items.add(i);
    }
    List<Map.Entry<List<@Nullable Object>, Merged>> sorted = new ArrayList<>(byKey.entrySet());
    sorted.sort(Map.Entry.comparingByKey(KeyedRows.ORDER));
    return sorted;
  }

  /**
   * Selects and locks the rows of {@code merged}'s keys ({@link KeyedSql#lockExisting}); returns
   * the positions in {@code merged} of the keys the database found a row for. The database
   * matches them, so a key is found when the database takes it for a row's key (a time zone, a
   * case-insensitive collation), though Java would not.
   */
  private BitSet lockExisting(Connection c,
      List<Map.Entry<List<@Nullable Object>, Merged>> merged, StatementCounts counts)
      throws SQLException {
    BitSet found = new BitSet(merged.size());
    List<Column<T>> keys = table.keyColumns();
    int perChunk = MultiRowWriter.MAX_PARAMETERS / keys.size();
    for (int start = 0; start < merged.size(); start += perChunk) {
      List<Map.Entry<List<@Nullable Object>, Merged>> chunk =
          merged.subList(start, Math.min(merged.size(), start + perChunk));
      try (PreparedStatement ps = c.prepareStatement(
          KeyedSql.lockExisting(table, chunk.size()))) {
        int p = 1;
        for (Map.Entry<List<@Nullable Object>, Merged> e : chunk) {
          for (int k = 0; k < keys.size(); k++) {
            keys.get(k).bindValue(ps, p++, e.getValue().row[table.keys().get(k)]);
          }
        }
        counts.sent(1);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            found.set(start + rs.getInt(1) - 1); // positions are 1-based within the chunk
          }
        }
      }
    }
    return found;
  }

  /** Sends the counter merge of {@code rows}: as arrays in one statement, or in chunks. */
  private void send(Connection c, List<Map.Entry<List<@Nullable Object>, Merged>> rows,
      StatementCounts counts) throws SQLException {
    if (rows.isEmpty()) {
      return;
    }
    if (arrays != null && unnestSql != null) {
      sendArrays(c, rows, arrays, unnestSql, counts);
      return;
    }
    List<Column<T>> cols = table.columns();
    int perChunk = MultiRowWriter.MAX_PARAMETERS / cols.size();
    int start = 0;
    while (start < rows.size()) {
      int end = Math.min(rows.size(), start + perChunk);
      long bytes = 0;
      for (int i = start; i < end; i++) {
        bytes += 8; // per row, as Estimates.rowBytes counts it
        for (Object v : rows.get(i).getValue().row) {
          bytes += Estimates.valueBytes(v);
        }
        if (bytes > maxStatementBytes && i > start) {
          end = i; // this row starts the next chunk; a row alone always gets a statement
          break;
        }
      }
      List<Map.Entry<List<@Nullable Object>, Merged>> chunk = rows.subList(start, end);
      KeyedSql.sendRetryingDuplicatesOnH2(table.dialect(), () -> sendChunk(c, chunk, counts));
      start = end;
    }
  }

  /** One statement, the rows as arrays; a value that cannot be sent fails its key's first item. */
  private static void sendArrays(Connection c,
      List<Map.Entry<List<@Nullable Object>, Merged>> rows, UnnestArrays arrays, String sql,
      StatementCounts counts) throws SQLException {
    List<@Nullable Object[]> values = new ArrayList<>(rows.size());
    for (Map.Entry<List<@Nullable Object>, Merged> e : rows) {
      values.add(e.getValue().row);
    }
    // the key's other items are sent again and fail on their own, one by one
    arrays.execute(c, sql, values, counts, row -> rows.get(row).getValue().items.get(0));
  }


  private void sendChunk(Connection c, List<Map.Entry<List<@Nullable Object>, Merged>> chunk,
      StatementCounts counts) throws SQLException {
    List<Column<T>> cols = table.columns();
    try (PreparedStatement ps = c.prepareStatement(KeyedSql.counterMerge(table, chunk.size()))) {
      int p = 1;
      for (Map.Entry<List<@Nullable Object>, Merged> e : chunk) {
        @Nullable Object[] row = e.getValue().row;
        for (int j = 0; j < row.length; j++) {
          cols.get(j).bindValue(ps, p++, row[j]);
        }
      }
      counts.sent(1);
      ps.executeUpdate();
    }
  }

  /** {@code a + b} for deltas; null if either is null. */
  static @Nullable Object add(@Nullable Object a, @Nullable Object b) {
    if (a == null || b == null) {
      return null;
    }
    if (isWhole(a) && isWhole(b)) {
      return Math.addExact(((Number) a).longValue(), ((Number) b).longValue());
    }
    return decimal(a).add(decimal(b));
  }

  private static boolean isWhole(Object v) {
    return v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte;
  }

  private static BigDecimal decimal(Object v) {
    if (v instanceof BigDecimal d) {
      return d;
    } else if (v instanceof BigInteger b) {
      return new BigDecimal(b);
    } else if (isWhole(v)) {
      return BigDecimal.valueOf(((Number) v).longValue());
    }
    throw new IllegalArgumentException("a COUNTER_MERGE delta must be a Long, Integer, Short, "
        + "Byte, BigInteger or BigDecimal, not " + v.getClass().getName() + ": " + v);
  }
}
