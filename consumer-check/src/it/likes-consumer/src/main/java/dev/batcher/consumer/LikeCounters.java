package dev.batcher.consumer;

import dev.batcher.Batcher;
import dev.batcher.redis.RedisSink;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import redis.clients.jedis.UnifiedJedis;

/** Counts likes per post in Redis hashes through a batcher and a transactional Redis sink. */
public final class LikeCounters implements AutoCloseable {
  private final RedisSink<LikeStore.Like> sink;
  private final Batcher<LikeStore.Like> batcher;

  /** Starts a batcher adding each like to {@code post:<id>}'s {@code likes} field. */
  public LikeCounters(UnifiedJedis jedis) {
    this.sink = RedisSink.<LikeStore.Like>builder(jedis,
            (p, like) -> p.hincrBy("post:" + like.postId(), "likes", 1))
        .transactional()
        .build();
    this.batcher = Batcher.builder(sink)
        .name("like-counters")
        .maxBatchSize(500)
        .maxDelay(Duration.ofMillis(5))
        .build();
  }

  /** Counts a like; the future completes once Redis has it. */
  public CompletableFuture<Void> add(LikeStore.Like like) {
    return batcher.submit(like);
  }

  /** How many round trips the sink has made so far. */
  public long roundTrips() {
    return sink.roundTrips();
  }

  /** Counts every accepted like, then stops. */
  @Override
  public void close() {
    batcher.close();
  }
}
