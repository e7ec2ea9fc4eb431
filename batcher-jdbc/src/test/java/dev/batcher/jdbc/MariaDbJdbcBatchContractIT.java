package dev.batcher.jdbc;

/** The sink contract on MARIADB with JDBC_BATCH. */
class MariaDbJdbcBatchContractIT extends JdbcContract {
  @Override
  Dialect dialect() {
    return Dialect.MARIADB;
  }

  @Override
  WriteStrategy strategy() {
    return WriteStrategy.JDBC_BATCH;
  }
}
