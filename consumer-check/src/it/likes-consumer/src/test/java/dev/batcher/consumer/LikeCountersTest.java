package dev.batcher.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.batcher.consumer.LikeStore.Like;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;

/** Against the local Redis (BATCHER_REDIS_URL, default redis://127.0.0.1:6379), as our ITs. */
class LikeCountersTest {

  @Test
  void everyLikeIsCountedInFewRoundTrips() {
    String url = System.getenv().getOrDefault("BATCHER_REDIS_URL", "redis://127.0.0.1:6379");
    long post = ProcessHandle.current().pid();
    try (RedisClient jedis = RedisClient.create(URI.create(url))) {
      List<CompletableFuture<Void>> counted = new ArrayList<>();
      LikeCounters counters = new LikeCounters(jedis);
      try {
        for (long user = 0; user < 1_000; user++) {
          counted.add(counters.add(new Like(post, user)));
        }
      } finally {
        counters.close();
      }
      CompletableFuture.allOf(counted.toArray(CompletableFuture[]::new)).join();
      try {
        assertEquals("1000", jedis.hget("post:" + post, "likes"),
            "likes counted in Redis at " + url + " (set BATCHER_REDIS_URL to another)");
        // two round trips per batch (MULTI/EXEC): at most half of one per like means batches
        assertTrue(counters.roundTrips() <= 1_000 / 2, "round trips: " + counters.roundTrips());
      } finally {
        jedis.del("post:" + post);
      }
    }
  }
}
