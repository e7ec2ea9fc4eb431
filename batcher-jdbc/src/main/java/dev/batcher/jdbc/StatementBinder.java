package dev.batcher.jdbc;

import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * Binds one item to the parameters of a statement given as SQL text, for what the table-and-
 * columns builder does not cover. Called on a batcher worker thread, once per item.
 *
 * @param <T> the item type
 */
@FunctionalInterface
public interface StatementBinder<T> {
  /**
   * Sets the statement's parameters from {@code item}.
   *
   * @param statement the statement prepared from the sink's SQL
   * @param item the item to bind
   * @throws SQLException if a parameter cannot be set
   */
  void bind(PreparedStatement statement, T item) throws SQLException;
}
