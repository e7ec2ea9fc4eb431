package dev.batcher.jdbc.internal;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The key side of the keyed strategies: an item's key, keys compared and ordered, a batch with
 * each key once (first or last item wins). Keys are compared by value after widening whole numbers
 * to {@code Long} and stripping a {@code BigDecimal}'s trailing zeros, so that the {@code Integer}
 * an item holds and the {@code Long} a driver reads back name the same key. Stateless.
 *
 * <p>Internal: not API, may change in any release.
 */
final class KeyedRows {
  private KeyedRows() {}

  /**
   * One total order over keys, the same in every sink and every JVM, so that two batches that
   * touch the same rows touch them in the same order: nulls first, then by value within a type
   * ({@link Comparable}), types apart by class name, anything else by its string.
   */
  static final Comparator<List<@Nullable Object>> ORDER = KeyedRows::compareKeys;

  /** The key of {@code item}: its key columns' values, normalized. */
  static <T> List<@Nullable Object> keyOf(TableSpec<T> table, T item) {
    List<Column<T>> keys = table.keyColumns();
    @Nullable Object[] k = new Object[keys.size()];
    for (int i = 0; i < k.length; i++) {
      k[i] = normalize(keys.get(i).valueOf(item));
    }
    return Arrays.asList(k);
  }

  /** Every column's value of {@code item}, in column order, as read (not normalized). */
  static <T> @Nullable Object[] rowOf(TableSpec<T> table, T item) {
    List<Column<T>> columns = table.columns();
    @Nullable Object[] row = new Object[columns.size()];
    for (int i = 0; i < row.length; i++) {
      row[i] = columns.get(i).valueOf(item);
    }
    return row;
  }

  /**
   * The indexes in {@code batch} of the items that are written, one per key, in key {@link
   * #ORDER}: the last item of each key if {@code lastWins}, otherwise the first.
   */
  static <T> List<Integer> onePerKey(TableSpec<T> table, List<T> batch, boolean lastWins) {
    Map<List<@Nullable Object>, Integer> winner = new LinkedHashMap<>();
    for (int i = 0; i < batch.size(); i++) {
      List<@Nullable Object> key = keyOf(table, batch.get(i));
      if (lastWins) {
        winner.put(key, i);
      } else {
        winner.putIfAbsent(key, i);
      }
    }
    List<Map.Entry<List<@Nullable Object>, Integer>> sorted = new ArrayList<>(winner.entrySet());
    sorted.sort(Map.Entry.comparingByKey(ORDER));
    List<Integer> out = new ArrayList<>(sorted.size());
    for (Map.Entry<List<@Nullable Object>, Integer> e : sorted) {
      out.add(e.getValue());
    }
    return out;
  }

  /** {@code v} as keys compare it: whole numbers as Long, decimals without trailing zeros. */
  static @Nullable Object normalize(@Nullable Object v) {
    if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
      return ((Number) v).longValue();
    } else if (v instanceof BigInteger b && b.bitLength() < 64) {
      return b.longValue();
    } else if (v instanceof BigDecimal d) {
      BigDecimal s = d.stripTrailingZeros();
      if (s.scale() <= 0 && s.precision() - s.scale() < 19) {
        return s.longValueExact();
      }
      return s;
    }
    return v;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static int compareKeys(List<@Nullable Object> a, List<@Nullable Object> b) {
    for (int i = 0; i < a.size(); i++) {
      Object x = a.get(i);
      Object y = b.get(i);
      int c;
      if (x == null || y == null) {
        c = x == null ? (y == null ? 0 : -1) : 1;
      } else if (x.getClass() == y.getClass() && x instanceof Comparable cx) {
        c = cx.compareTo(y);
      } else if (x.getClass() != y.getClass()) {
        c = x.getClass().getName().compareTo(y.getClass().getName());
      } else {
        c = String.valueOf(x).compareTo(String.valueOf(y));
      }
      if (c != 0) {
        return c;
      }
    }
    return 0;
  }
}
