package dev.batcher.jdbc;

/** The sink contract on MARIADB with COUNTER_MERGE, keyed by {@code id}. */
class MariaDbCounterMergeContractIT extends JdbcContract {
  @Override
  Dialect dialect() {
    return Dialect.MARIADB;
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
