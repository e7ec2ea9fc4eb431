package dev.batcher.jdbc;

/** The sink contract on H2 with UPSERT, keyed by {@code id}. */
class H2UpsertContractIT extends JdbcContract {
  @Override
  Dialect dialect() {
    return Dialect.H2;
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
