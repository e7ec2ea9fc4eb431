package dev.batcher.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;

/** The builder's defaults and the exact messages of its errors. No Redis is contacted. */
class RedisSinkBuilderTest {
  // A client is lazy: it connects on the first command, which these tests never send.
  private final RedisClient jedis = RedisClient.create("127.0.0.1", 1);
  private final RedisCommand<String> set = (p, s) -> p.set("k", s);

  @AfterEach
  void close() {
    jedis.close();
  }

  @Test
  void defaults() {
    RedisSink<String> sink = RedisSink.builder(jedis, set).build();

    assertThat(RedisSink.Builder.DEFAULT_TRANSACTIONAL).isFalse();
    assertThat(sink.isTransactional()).isEqualTo(RedisSink.Builder.DEFAULT_TRANSACTIONAL);
    assertThat(sink.isAtomic()).isFalse();
    assertThat(sink.commands()).isZero();
    assertThat(sink.roundTrips()).isZero();
    assertThat(sink).hasToString("RedisSink{pipeline}");
  }

  @Test
  void transactional_setsMultiExec_andIsStillNotAtomic() {
    RedisSink<String> sink = RedisSink.builder(jedis, set).transactional().build();

    assertThat(sink.isTransactional()).isTrue();
    assertThat(sink.isAtomic()).isFalse();
    assertThat(sink).hasToString("RedisSink{MULTI/EXEC}");
  }

  @Test
  void transactional_twice_isRejected() {
    RedisSink.Builder<String> b = RedisSink.builder(jedis, set).transactional();

    assertThatThrownBy(b::transactional).isInstanceOf(IllegalStateException.class)
        .hasMessage("transactional was already set to true");
  }

  @Test
  void builder_nullJedis_isRejected() {
    assertThatThrownBy(() -> RedisSink.builder(null, set))
        .isInstanceOf(NullPointerException.class).hasMessage("jedis");
  }

  @Test
  void builder_nullCommand_isRejected() {
    assertThatThrownBy(() -> RedisSink.<String>builder(jedis, null))
        .isInstanceOf(NullPointerException.class).hasMessage("command");
  }
}
