package dev.batcher.jdbc;

/** The sink contract on H2 with ONE_BY_ONE. */
class H2OneByOneContractIT extends JdbcContract {
  @Override
  Dialect dialect() {
    return Dialect.H2;
  }

  @Override
  WriteStrategy strategy() {
    return WriteStrategy.ONE_BY_ONE;
  }
}
