package dev.batcher.jdbc.internal;

import org.jspecify.annotations.Nullable;

/**
 * Rough sizes of values on the wire, for keeping multi-row statements under a byte budget (MySQL's
 * {@code max_allowed_packet}). Errs on the large side for text (UTF-8 up to 3 bytes per char).
 *
 * <p>Internal: not API, may change in any release.
 */
final class Estimates {
  private Estimates() {}

  /** The estimated bytes of one row of {@code table} for {@code item}, with a per-row overhead. */
  static <T> long rowBytes(TableSpec<T> table, T item) {
    long bytes = 8;
    for (Column<T> c : table.columns()) {
      bytes += valueBytes(c.valueOf(item));
    }
    return bytes;
  }

  static long valueBytes(@Nullable Object v) {
    if (v == null) {
      return 4;
    } else if (v instanceof CharSequence s) {
      return 8 + (long) s.length() * 3;
    } else if (v instanceof byte[] b) {
      return 8 + (long) b.length * 2;
    }
    return 24;
  }
}
