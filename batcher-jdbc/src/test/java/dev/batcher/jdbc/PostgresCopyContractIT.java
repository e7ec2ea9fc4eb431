package dev.batcher.jdbc;

/** The sink contract on POSTGRESQL with COPY. */
class PostgresCopyContractIT extends JdbcContract {
  @Override
  Dialect dialect() {
    return Dialect.POSTGRESQL;
  }

  @Override
  WriteStrategy strategy() {
    return WriteStrategy.COPY;
  }
}
