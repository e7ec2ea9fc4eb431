package dev.batcher.jdbc;

/** The sink contract on H2 with INSERT_IGNORE, keyed by {@code id}. */
class H2InsertIgnoreContractIT extends JdbcContract {
  @Override
  Dialect dialect() {
    return Dialect.H2;
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
