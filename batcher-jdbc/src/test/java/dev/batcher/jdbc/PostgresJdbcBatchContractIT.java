package dev.batcher.jdbc;

/** The sink contract on POSTGRESQL with JDBC_BATCH. */
class PostgresJdbcBatchContractIT extends JdbcContract {
  @Override
  Dialect dialect() {
    return Dialect.POSTGRESQL;
  }

  @Override
  WriteStrategy strategy() {
    return WriteStrategy.JDBC_BATCH;
  }
}
