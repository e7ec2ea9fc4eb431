package dev.batcher.jdbc;

/** The sink contract on POSTGRESQL with COUNTER_MERGE, keyed by {@code id}. */
class PostgresCounterMergeContractIT extends JdbcContract {
  @Override
  Dialect dialect() {
    return Dialect.POSTGRESQL;
  }

  @Override
  WriteStrategy strategy() {
    return WriteStrategy.COUNTER_MERGE;
  }

  @Override
  String[] keyColumns() {
    return new String[] {"id"};
  }
}
