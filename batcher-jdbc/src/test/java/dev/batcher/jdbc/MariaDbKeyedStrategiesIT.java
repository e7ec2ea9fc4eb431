package dev.batcher.jdbc;

/** UPSERT, INSERT_IGNORE and COUNTER_MERGE on MARIADB. */
class MariaDbKeyedStrategiesIT extends KeyedStrategiesTests {
  @Override
  Dialect dialect() {
    return Dialect.MARIADB;
  }
}
