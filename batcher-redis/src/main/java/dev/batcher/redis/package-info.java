/**
 * Redis sinks: build a {@link dev.batcher.redis.RedisSink} from your Jedis client (a {@code
 * RedisClient}) and a {@link dev.batcher.redis.RedisCommand} that queues one item's command, hand
 * it to {@code Batcher.builder(sink)}, and every batch goes to Redis as one pipeline (or one
 * MULTI/EXEC transaction), each item ending as its own reply says. For items that must survive a
 * crash, a durable queue on a Redis stream: {@link dev.batcher.redis.RedisStreamSink} appends
 * items with {@code XADD}, and {@link dev.batcher.redis.StreamWorker} reads them in a consumer
 * group into a downstream batcher, acknowledging each entry after its item was written.
 *
 * <p>Every type here is null-marked: parameters and return values are non-null unless annotated
 * {@code @Nullable}.
 */
@NullMarked
package dev.batcher.redis;

import org.jspecify.annotations.NullMarked;
