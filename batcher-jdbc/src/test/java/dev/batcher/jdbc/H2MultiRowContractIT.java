package dev.batcher.jdbc;

/** The sink contract on H2 with MULTI_ROW. */
class H2MultiRowContractIT extends JdbcContract {
  @Override
  Dialect dialect() {
    return Dialect.H2;
  }

  @Override
  WriteStrategy strategy() {
    return WriteStrategy.MULTI_ROW;
  }
}
