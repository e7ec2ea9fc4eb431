package dev.batcher.jdbc;

/** The sink contract on H2 with JDBC_BATCH. */
class H2JdbcBatchContractIT extends JdbcContract {
  @Override
  Dialect dialect() {
    return Dialect.H2;
  }

  @Override
  WriteStrategy strategy() {
    return WriteStrategy.JDBC_BATCH;
  }
}
