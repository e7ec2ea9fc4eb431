package dev.batcher.jdbc;

/** The sink contract on H2 with COUNTER_MERGE, keyed by {@code id}. */
class H2CounterMergeContractIT extends JdbcContract {
  @Override
  Dialect dialect() {
    return Dialect.H2;
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
