package dev.batcher.jdbc;

/** The sink contract on POSTGRESQL with INSERT_IGNORE, keyed by {@code id}. */
class PostgresInsertIgnoreContractIT extends JdbcContract {
  @Override
  Dialect dialect() {
    return Dialect.POSTGRESQL;
  }

  @Override
  WriteStrategy strategy() {
    return WriteStrategy.INSERT_IGNORE;
  }

  @Override
  String[] keyColumns() {
    return new String[] {"id"};
  }
}
