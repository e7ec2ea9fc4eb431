/**
 * A user of batcher as a named module. It reads batcher-jdbc, which brings batcher-core and
 * java.sql; transitively, since its own API takes a DataSource.
 */
module dev.batcher.consumer {
  requires transitive dev.batcher.jdbc;
  // Its metrics go to the application's Micrometer registry.
  requires transitive dev.batcher.micrometer;
  // Its counters per post go to Redis, whose client (Jedis) its API takes.
  requires transitive dev.batcher.redis;

  exports dev.batcher.consumer;
}
