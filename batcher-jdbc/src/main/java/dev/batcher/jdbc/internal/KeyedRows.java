package dev.batcher.jdbc.internal;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.JDBCType;
import java.sql.SQLType;
import java.util.ArrayList;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The key side of the keyed strategies: an item's key, keys compared and ordered, a batch with
 * each key once (first or last item wins).
 *
 * <p>Keys are compared in Java, so each value is first {@linkplain #normalize normalized} to one
 * that is equal in Java exactly when the databases take it for the same key: whole numbers widen
 * to {@code Long}, a {@code BigDecimal} loses its trailing zeros, a {@code byte[]} compares by its
 * bytes, an {@code OffsetDateTime} or {@code ZonedDateTime} is its {@code Instant} (every driver
 * stores the instant: the same instant at two offsets is one row), {@code -0.0} is {@code 0.0}.
 * Whatever else the database compares differently (a case- or accent-insensitive collation,
 * trailing spaces, fractional seconds a column rounds away) is not seen here; docs/jdbc.md says
 * what that costs. Stateless.
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
      Column<T> key = keys.get(i);
      k[i] = normalize(key.type(), key.valueOf(item));
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

  /**
   * {@code v}, a value of a key column of {@code type}, as keys compare it: so that two values the
   * database stores as one key compare equal here too, and never two it stores apart. Whole
   * numbers as {@code Long} and byte arrays by content, in any column (their text and binary
   * forms agree); in a numeric column, decimals without trailing zeros and negative zero as zero
   * (in a text column "7.00" and "7", or "-0.0" and "0.0", are different keys); in a {@code
   * TIMESTAMP_WITH_TIMEZONE} column, offset and zoned date-times as their instant (a {@code
   * TIMESTAMP} or text column keeps the local time or the offset, so they stay apart there);
   * anything else as it is.
   */
  static @Nullable Object normalize(SQLType type, @Nullable Object v) {
    if (v instanceof byte[] bytes) {
      return new Bytes(bytes);
    } else if (v instanceof Integer || v instanceof Long || v instanceof Short
        || v instanceof Byte) {
      return ((Number) v).longValue();
    } else if (v instanceof BigInteger b && b.bitLength() < 64) {
      return b.longValue();
    }
    if (type == JDBCType.TIMESTAMP_WITH_TIMEZONE) {
      if (v instanceof OffsetDateTime t) {
        return t.toInstant();
      } else if (v instanceof ZonedDateTime t) {
        return t.toInstant();
      }
    }
    if (numeric(type)) {
      if (v instanceof Double d && d == 0.0d) {
        return 0.0d; // -0.0 = 0.0 in SQL, not in Double.equals
      } else if (v instanceof Float f && f == 0.0f) {
        return 0.0f;
      } else if (v instanceof BigDecimal d) {
        BigDecimal s = d.stripTrailingZeros();
        if (s.scale() <= 0 && s.precision() - s.scale() < 19) {
          return s.longValueExact();
        }
        return s;
      }
    }
    return v;
  }

  private static boolean numeric(SQLType type) {
    return type instanceof JDBCType j && switch (j) {
      case TINYINT, SMALLINT, INTEGER, BIGINT, NUMERIC, DECIMAL, DOUBLE, FLOAT, REAL -> true;
      default -> false;
    };
  }

  /**
   * A {@code byte[]} key: equal to another by content, ordered as unsigned bytes (as PostgreSQL's
   * {@code bytea} and a binary collation order them), printed as hex. Holds the array it was
   * given, which the sink never changes.
   */
  static final class Bytes implements Comparable<Bytes> {
    private final byte[] bytes;

    Bytes(byte[] bytes) {
      this.bytes = bytes;
    }

    @Override
    public boolean equals(@Nullable Object o) {
      return o instanceof Bytes b && Arrays.equals(bytes, b.bytes);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(bytes);
    }

    @Override
    public int compareTo(Bytes o) {
      return Arrays.compareUnsigned(bytes, o.bytes);
    }

    @Override
    public String toString() {
      return "0x" + HexFormat.of().formatHex(bytes);
    }
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
