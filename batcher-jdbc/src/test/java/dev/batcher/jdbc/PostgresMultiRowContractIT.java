package dev.batcher.jdbc;

/** The sink contract on POSTGRESQL with MULTI_ROW. */
class PostgresMultiRowContractIT extends JdbcContract {
  @Override
  Dialect dialect() {
    return Dialect.POSTGRESQL;
  }

  @Override
  WriteStrategy strategy() {
    return WriteStrategy.MULTI_ROW;
  }
}
