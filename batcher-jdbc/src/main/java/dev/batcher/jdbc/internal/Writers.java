package dev.batcher.jdbc.internal;

import dev.batcher.jdbc.Dialect;
import dev.batcher.jdbc.StatementBinder;
import dev.batcher.jdbc.WriteStrategy;

/**
 * Picks the {@link RowWriter} of a strategy.
 *
 * <p>Internal: not API, may change in any release.
 */
public final class Writers {
  private Writers() {}

  /** The writer of {@code strategy} for a table and its columns. */
  public static <T> RowWriter<T> forTable(WriteStrategy strategy, TableSpec<T> table,
      long maxStatementBytes, boolean updateOnly) {
    Binding<T> binding = Binding.of(table);
    return switch (strategy) { // exhaustive: a new strategy does not compile without its writer
      case ONE_BY_ONE -> new OneByOneWriter<>(table.insertOneRow(), binding);
      case JDBC_BATCH -> new JdbcBatchWriter<>(table.insertOneRow(), binding,
          batchCountsPerItem(table.dialect()));
      case MULTI_ROW -> new MultiRowWriter<>(table, n -> InsertSql.insertRows(table, n),
          maxStatementBytes);
      case UNNEST -> new UnnestWriter<>(table);
      case COPY -> new CopyWriter<>(table);
      case UPSERT -> KeyedInsertWriter.upsert(table, maxStatementBytes);
      case INSERT_IGNORE -> KeyedInsertWriter.insertIgnore(table, maxStatementBytes);
      case COUNTER_MERGE -> new CounterMergeWriter<>(table, maxStatementBytes, updateOnly);
    };
  }

  /** The writer of {@code strategy} (ONE_BY_ONE or JDBC_BATCH) for SQL given as text. */
  public static <T> RowWriter<T> forStatement(WriteStrategy strategy, Dialect dialect, String sql,
      StatementBinder<T> binder) {
    Binding<T> binding = (ps, first, item) -> binder.bind(ps, item);
    return strategy == WriteStrategy.ONE_BY_ONE
        ? new OneByOneWriter<>(sql, binding)
        : new JdbcBatchWriter<>(sql, binding, batchCountsPerItem(dialect));
  }

  /**
   * Whether a failed JDBC batch names the failed entry: H2 in its update counts, pgjdbc in its
   * message when it did not rewrite the batch (see {@link JdbcBatchWriter}); MariaDB Connector/J
   * marks every entry failed.
   */
  private static boolean batchCountsPerItem(Dialect dialect) {
    return dialect == Dialect.H2 || dialect == Dialect.POSTGRESQL;
  }
}
