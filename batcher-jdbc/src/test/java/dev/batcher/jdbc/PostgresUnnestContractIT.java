package dev.batcher.jdbc;

/** The sink contract on POSTGRESQL with UNNEST. */
class PostgresUnnestContractIT extends JdbcContract {
  @Override
  Dialect dialect() {
    return Dialect.POSTGRESQL;
  }

  @Override
  WriteStrategy strategy() {
    return WriteStrategy.UNNEST;
  }
}
