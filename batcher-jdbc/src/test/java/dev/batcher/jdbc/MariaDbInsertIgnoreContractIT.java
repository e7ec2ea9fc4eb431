package dev.batcher.jdbc;

/** The sink contract on MARIADB with INSERT_IGNORE, keyed by {@code id}. */
class MariaDbInsertIgnoreContractIT extends JdbcContract {
  @Override
  Dialect dialect() {
    return Dialect.MARIADB;
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
