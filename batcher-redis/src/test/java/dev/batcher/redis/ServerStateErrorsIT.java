package dev.batcher.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.BatchResult;
import java.util.List;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;

/**
 * An error reply about the server's state fails its item retryably, not for good: a redis-server
 * of this test's own ({@link OwnRedis}, so that the shared one keeps its settings) is given {@code
 * maxmemory 1}, and every write is refused with {@code OOM}; once the limit is lifted, the same
 * items are written.
 */
class ServerStateErrorsIT {

  @Test
  void oom_failsEachItemRetryably_andTheyAreWrittenOnceMemoryIsFree() throws Exception {
    try (OwnRedis redis = OwnRedis.start("oom", null, "--maxmemory", "1",
            "--maxmemory-policy", "noeviction");
        RedisClient jedis = redis.client("default", null)) {
      RedisSink<Integer> sink = RedisSink.<Integer>builder(jedis,
          (p, i) -> p.set("k" + i, "v")).build();

      BatchResult refused = sink.write(List.of(0, 1, 2));

      for (int i = 0; i < 3; i++) {
        assertThat(refused.outcome(i)).isEqualTo(BatchResult.Outcome.FAILED_RETRYABLE);
        assertThat(refused.cause(i)).hasMessageStartingWith("OOM");
      }

      jedis.configSet("maxmemory", "0");
      assertThat(sink.write(List.of(0, 1, 2)).isSuccess()).isTrue();
      assertThat(jedis.mget("k0", "k1", "k2")).containsExactly("v", "v", "v");
    }
  }
}
