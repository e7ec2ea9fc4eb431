/**
 * A user of batcher as a named module. It reads batcher-jdbc, which brings batcher-core and
 * java.sql; transitively, since its own API takes a DataSource.
 */
module dev.batcher.consumer {
  requires transitive dev.batcher.jdbc;

  exports dev.batcher.consumer;
}
