package dev.batcher.jdbc;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/** The builders' check of a table name given as its parts; set once, at least one part. */
final class TableNames {
  private TableNames() {}

  /**
   * Returns a copy of {@code nameParts}, checked.
   *
   * @param already the parts set earlier, or null
   * @throws IllegalStateException if the table was already set
   * @throws IllegalArgumentException if there is no part
   */
  static String[] checked(String[] nameParts, String @Nullable [] already) {
    requireNonNull(nameParts, "nameParts");
    if (already != null) {
      throw new IllegalStateException("table was already set to " + String.join(".", already));
    }
    if (nameParts.length == 0) {
      throw new IllegalArgumentException("table needs a name");
    }
    for (int i = 0; i < nameParts.length; i++) {
      requireNonNull(nameParts[i], "table[" + i + "]");
    }
    return nameParts.clone();
  }
}
