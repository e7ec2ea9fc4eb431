package dev.batcher.jdbc;

/** The sink contract on POSTGRESQL with ONE_BY_ONE. */
class PostgresOneByOneContractIT extends JdbcContract {
  @Override
  Dialect dialect() {
    return Dialect.POSTGRESQL;
  }

  @Override
  WriteStrategy strategy() {
    return WriteStrategy.ONE_BY_ONE;
  }
}
