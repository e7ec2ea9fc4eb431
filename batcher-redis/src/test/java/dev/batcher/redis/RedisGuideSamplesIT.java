package dev.batcher.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.Batcher;
import dev.batcher.DeadLetterHandler;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;

/**
 * The samples of docs/redis.md, run against the test Redis ({@value TestRedis#VARIABLE}): each
 * tagged region is copied into the page, and batcher-jdbc's {@code DocSamplesTest} fails the build
 * when the two differ.
 */
class RedisGuideSamplesIT {
  private final RedisClient control = TestRedis.client("batcher-guide-control");
  private final String prefix = TestRedis.prefix("guide");

  record Like(long postId, long userId) {}

  @AfterEach
  void cleanUp() {
    TestRedis.deleteKeys(control, prefix);
    control.close();
  }

  @Test
  void likesCounter() throws Exception {
    String host = java.net.URI.create(TestRedis.url()).getHost();
    int port = java.net.URI.create(TestRedis.url()).getPort();
    String post = prefix + ":post:";
    // tag::redis-sink[]
    ConnectionPoolConfig pool = new ConnectionPoolConfig();
    pool.setMaxTotal(4); // at least the batcher's maxInFlightBatches
    pool.setMaxWait(Duration.ofSeconds(2)); // well below the batcher's deliveryTimeout
    RedisClient jedis = RedisClient.builder().hostAndPort(host, port).poolConfig(pool)
        .clientConfig(DefaultJedisClientConfig.builder()
            .socketTimeoutMillis(2_000) // well below the batcher's deliveryTimeout
            .build())
        .build();

    RedisSink<Like> likesPerPost = RedisSink.<Like>builder(jedis,
            (p, like) -> p.hincrBy(post + like.postId(), "likes", 1))
        .transactional() // HINCRBY is not idempotent: a lost connection must apply nothing
        .build();

    try (Batcher<Like> likes = Batcher.builder(likesPerPost)
        .name("likes")
        .maxBatchSize(1000)
        .maxDelay(Duration.ofMillis(5))
        .deadLetterHandler(DeadLetterHandler.logging())
        .build()) {
      for (long user = 0; user < 10_000; user++) {
        likes.submit(new Like(42, user));
      }
    } // close() writes everything accepted before it returns
    jedis.close();
    // end::redis-sink[]

    assertThat(control.hget(post + 42, "likes")).isEqualTo("10000");
    assertThat(likesPerPost.commands()).isEqualTo(10_000);
    assertThat(likesPerPost.roundTrips() % 2).as("round trips: two per batch").isZero();
  }

  @Test
  void idempotentCommands_plainPipeline() throws Exception {
    RedisClient jedis = TestRedis.client("batcher-guide");
    String seen = prefix + ":seen:";
    // tag::redis-idempotent[]
    RedisSink<Like> seenBy = RedisSink.<Like>builder(jedis,
        (p, like) -> p.sadd(seen + like.postId(), Long.toString(like.userId())))
        .build(); // SADD is idempotent: a retried pipeline adds nothing twice
    // end::redis-idempotent[]
    try (Batcher<Like> b = Batcher.builder(seenBy).build()) {
      b.submit(new Like(7, 1));
      b.submit(new Like(7, 2)).get(10, TimeUnit.SECONDS);
    }
    jedis.close();
    assertThat(control.scard(seen + 7)).isEqualTo(2);
  }
}
