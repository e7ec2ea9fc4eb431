package dev.batcher.jdbc;

/** UPSERT, INSERT_IGNORE and COUNTER_MERGE on POSTGRESQL. */
class PostgresKeyedStrategiesIT extends KeyedStrategiesTests {
  @Override
  Dialect dialect() {
    return Dialect.POSTGRESQL;
  }
}
