package dev.batcher.jdbc;

/** UPSERT, INSERT_IGNORE and COUNTER_MERGE on H2. */
class H2KeyedStrategiesIT extends KeyedStrategiesTests {
  @Override
  Dialect dialect() {
    return Dialect.H2;
  }
}
