/**
 * Redis sinks for batcher: each batch sent as one Jedis pipeline, or as one MULTI/EXEC
 * transaction, with an outcome per item read from its command's reply; and a durable queue on a
 * Redis stream, whose workers feed a downstream batcher and acknowledge after the write.
 *
 * <p>Only {@code dev.batcher.redis} is API. {@code dev.batcher.redis.internal} is not exported and
 * may change in any release.
 */
// Jedis has an Automatic-Module-Name only, no module-info
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module dev.batcher.redis {
  requires transitive dev.batcher.core;
  // The API takes Jedis types (UnifiedJedis, PipeliningBase, Response): users read them too.
  requires transitive redis.clients.jedis;
  requires org.slf4j;
  // The API's nullness annotations: readers of the API see them, nobody needs them at run time.
  requires static transitive org.jspecify;

  exports dev.batcher.redis;
}
