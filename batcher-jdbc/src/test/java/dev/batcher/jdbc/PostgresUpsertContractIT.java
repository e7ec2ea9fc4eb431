package dev.batcher.jdbc;

/** The sink contract on POSTGRESQL with UPSERT, keyed by {@code id}. */
class PostgresUpsertContractIT extends JdbcContract {
  @Override
  Dialect dialect() {
    return Dialect.POSTGRESQL;
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
