package dev.batcher.jdbc;

/** The sink contract on MARIADB with ONE_BY_ONE. */
class MariaDbOneByOneContractIT extends JdbcContract {
  @Override
  Dialect dialect() {
    return Dialect.MARIADB;
  }

  @Override
  WriteStrategy strategy() {
    return WriteStrategy.ONE_BY_ONE;
  }
}
