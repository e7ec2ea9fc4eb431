package dev.batcher.jdbc;

/** The sink contract on MARIADB with MULTI_ROW. */
class MariaDbMultiRowContractIT extends JdbcContract {
  @Override
  Dialect dialect() {
    return Dialect.MARIADB;
  }

  @Override
  WriteStrategy strategy() {
    return WriteStrategy.MULTI_ROW;
  }
}
