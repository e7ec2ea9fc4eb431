/**
 * The batcher engine: a bounded, thread-safe micro-batcher that hands items to a sink in batches.
 *
 * <p>Only {@code dev.batcher} is API. {@code dev.batcher.internal} is not exported and may change
 * in any release.
 */
module dev.batcher.core {
  requires org.slf4j;
  requires static transitive org.jspecify;
  // Optional: only tests touch JDBC types; the retry classifier reads JDBC exceptions by class
  // name, so the batcher runs without java.sql in the image.
  requires static java.sql;

  exports dev.batcher;
}
