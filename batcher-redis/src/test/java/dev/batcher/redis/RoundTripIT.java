package dev.batcher.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.BatchResult;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;

/** One batch is one round trip (two in a transaction), however many items it holds. */
class RoundTripIT {
  private static final int ITEMS = 10_000;

  private final RedisClient jedis = TestRedis.client("batcher-roundtrip");
  private final String prefix = TestRedis.prefix("roundtrip");

  @AfterEach
  void cleanUp() {
    TestRedis.deleteKeys(jedis, prefix);
    jedis.close();
  }

  @Test
  void tenThousandItems_oneRoundTrip() {
    RedisSink<Integer> sink = RedisSink.<Integer>builder(jedis,
        (p, i) -> p.hincrBy(prefix + ":counts", "f" + (i % 100), 1)).build();

    BatchResult result = sink.write(items());

    assertThat(result.isSuccess()).as("%s", result).isTrue();
    assertThat(sink.roundTrips()).isEqualTo(1);
    assertThat(sink.commands()).isEqualTo(ITEMS);
    assertThat(jedis.hget(prefix + ":counts", "f7")).isEqualTo("100");
  }

  @Test
  void tenThousandItems_transactional_twoRoundTrips() {
    RedisSink<Integer> sink = RedisSink.<Integer>builder(jedis,
        (p, i) -> p.hincrBy(prefix + ":counts", "f" + (i % 100), 1)).transactional().build();

    BatchResult result = sink.write(items());

    assertThat(result.isSuccess()).as("%s", result).isTrue();
    assertThat(sink.roundTrips()).isEqualTo(2);
    assertThat(sink.commands()).isEqualTo(ITEMS);
    assertThat(jedis.hget(prefix + ":counts", "f7")).isEqualTo("100");
  }

  private static List<Integer> items() {
    List<Integer> items = new ArrayList<>();
    for (int i = 0; i < ITEMS; i++) {
      items.add(i);
    }
    return items;
  }
}
