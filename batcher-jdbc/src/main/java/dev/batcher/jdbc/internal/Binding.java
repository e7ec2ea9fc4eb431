package dev.batcher.jdbc.internal;

import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * Binds one item to a statement's parameters: from a table's columns, or from the user's {@link
 * dev.batcher.jdbc.StatementBinder} for SQL given as text.
 *
 * <p>Internal: not API, may change in any release.
 */
@FunctionalInterface
public interface Binding<T> {
  /** Binds {@code item} to the parameters starting at {@code first} (1-based). */
  void bind(PreparedStatement ps, int first, T item) throws SQLException;

  /** The binding of {@code table}'s columns, in order. */
  static <T> Binding<T> of(TableSpec<T> table) {
    return (ps, first, item) -> {
      int i = first;
      for (Column<T> c : table.columns()) {
        c.bind(ps, i++, item);
      }
    };
  }
}
