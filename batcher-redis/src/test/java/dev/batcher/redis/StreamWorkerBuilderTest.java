package dev.batcher.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.batcher.BatchResult;
import dev.batcher.Batcher;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;

/** The options of {@link StreamWorker.Builder} and {@link RedisStreamSink.Builder}: no Redis. */
class StreamWorkerBuilderTest {
  // Never used to connect: the options are checked before build() talks to Redis.
  private final RedisClient jedis = RedisClient.builder().hostAndPort("127.0.0.1", 1).build();
  private final Batcher<String> downstream =
      Batcher.<String>builder(batch -> BatchResult.success()).build();
  private final StreamCodec<String> codec = StreamCodec.ofString(s -> s, s -> s);

  @AfterEach
  void close() {
    downstream.close();
    jedis.close();
  }

  private StreamWorker.Builder<String> builder() {
    return StreamWorker.builder(jedis, "s", "g", codec, downstream);
  }

  @Test
  void defaults() {
    assertThat(StreamWorker.Builder.DEFAULT_READ_COUNT).isEqualTo(256);
    assertThat(StreamWorker.Builder.DEFAULT_BLOCK_MILLIS).isEqualTo(1_000);
    assertThat(StreamWorker.Builder.DEFAULT_MAX_UNACKED).isEqualTo(4_096);
    assertThat(StreamWorker.Builder.DEFAULT_MIN_IDLE_SECONDS).isEqualTo(300);
    assertThat(StreamWorker.Builder.DEFAULT_CLAIM_INTERVAL_SECONDS).isEqualTo(30);
    assertThat(StreamWorker.Builder.DEFAULT_MAX_DELIVERIES).isEqualTo(5);
    assertThat(RedisStreamSink.Builder.DEFAULT_MAX_LENGTH).isZero();
  }

  @Test
  void badValues_areRejected_namingTheValue() {
    assertThatThrownBy(() -> builder().readCount(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("readCount must be positive: 0");
    assertThatThrownBy(() -> builder().maxUnacked(-1))
        .hasMessage("maxUnacked must be positive: -1");
    assertThatThrownBy(() -> builder().maxDeliveries(0))
        .hasMessage("maxDeliveries must be positive: 0");
    assertThatThrownBy(() -> builder().block(Duration.ZERO))
        .hasMessage("block must be between 1 ms and 2147483647 ms: PT0S");
    assertThatThrownBy(() -> builder().minIdle(Duration.ofNanos(5)))
        .hasMessage("minIdle must be between 1 ms and 4611686018427 ms: PT0.000000005S");
    assertThatThrownBy(() -> builder().claimInterval(Duration.ofSeconds(-1)))
        .hasMessage("claimInterval must be between 1 ms and 4611686018427 ms: PT-1S");
    assertThatThrownBy(() -> builder().consumer(""))
        .hasMessage("consumer must not be empty: ''");
    assertThatThrownBy(() -> RedisStreamSink.builder(jedis, "s", codec).maxLength(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("maxLength must be positive: 0");
  }

  @Test
  void hugeDurations_areRejected_namingTheOption_notAnArithmeticException() {
    Duration huge = Duration.ofSeconds(Long.MAX_VALUE);
    assertThatThrownBy(() -> builder().block(huge)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("block must be between 1 ms and 2147483647 ms: " + huge);
    assertThatThrownBy(() -> builder().minIdle(huge)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("minIdle must be between 1 ms and 4611686018427 ms: " + huge);
    assertThatThrownBy(() -> builder().claimInterval(huge.negated()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("claimInterval must be between 1 ms and 4611686018427 ms: " + huge.negated());
  }

  @Test
  void optionsSetTwice_areRejected_namingTheEarlierValue() {
    assertThatThrownBy(() -> builder().readCount(5).readCount(6))
        .isInstanceOf(IllegalStateException.class).hasMessage("readCount was already set to 5");
    assertThatThrownBy(() -> builder().maxUnacked(5).maxUnacked(6))
        .hasMessage("maxUnacked was already set to 5");
    assertThatThrownBy(() -> builder().maxDeliveries(5).maxDeliveries(6))
        .hasMessage("maxDeliveries was already set to 5");
    assertThatThrownBy(() -> builder().block(Duration.ofMillis(5)).block(Duration.ofMillis(6)))
        .hasMessage("block was already set to PT0.005S");
    assertThatThrownBy(() -> builder().minIdle(Duration.ofSeconds(1))
        .minIdle(Duration.ofSeconds(2))).hasMessage("minIdle was already set to PT1S");
    assertThatThrownBy(() -> builder().claimInterval(Duration.ofSeconds(1))
        .claimInterval(Duration.ofSeconds(2))).hasMessage("claimInterval was already set to PT1S");
    assertThatThrownBy(() -> builder().consumer("a").consumer("b"))
        .hasMessage("consumer was already set to a");
    StreamDeadLetterHandler handler = letter -> { };
    assertThatThrownBy(() -> builder().deadLetterHandler(handler).deadLetterHandler(handler))
        .hasMessageStartingWith("deadLetterHandler was already set to ");
    assertThatThrownBy(() -> RedisStreamSink.builder(jedis, "s", codec).maxLength(5).maxLength(6))
        .isInstanceOf(IllegalStateException.class).hasMessage("maxLength was already set to 5");
  }

  @Test
  void nullArguments_areNamed() {
    assertThatThrownBy(() -> StreamWorker.builder(jedis, "s", "g", codec, null))
        .isInstanceOf(NullPointerException.class).hasMessage("downstream");
    assertThatThrownBy(() -> RedisStreamSink.builder(jedis, null, codec))
        .isInstanceOf(NullPointerException.class).hasMessage("stream");
    assertThatThrownBy(() -> StreamCodec.ofString(null, s -> s))
        .isInstanceOf(NullPointerException.class).hasMessage("encode");
  }

  @Test
  void ofStringCodec_roundTrips_andNamesAMissingField() throws Exception {
    assertThat(codec.decode(codec.encode("x"))).isEqualTo("x");
    assertThatThrownBy(() -> codec.decode(java.util.Map.of("a", "b")))
        .hasMessage("the entry has no field 'item'; its fields: [a]");
  }
}
