package dev.batcher.jdbc;

/** The sink contract on MARIADB with UPSERT, keyed by {@code id}. */
class MariaDbUpsertContractIT extends JdbcContract {
  @Override
  Dialect dialect() {
    return Dialect.MARIADB;
  }

  @Override
  WriteStrategy strategy() {
    return WriteStrategy.UPSERT;
  }

  @Override
  String[] keyColumns() {
    return new String[] {"id"};
  }
}
