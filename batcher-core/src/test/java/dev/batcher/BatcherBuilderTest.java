package dev.batcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.batcher.internal.BatcherConfig;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BatcherBuilderTest {
  private static final BatchSink<String> SINK = batch -> BatchResult.success();

  private static BatcherBuilder<String> builder() {
    return Batcher.builder(SINK);
  }

  @Test
  void defaults_areTheDocumentedConstants() {
    BatcherConfig<String> c = builder().config();
    assertThat(c.maxBatchSize()).isEqualTo(BatcherBuilder.DEFAULT_MAX_BATCH_SIZE).isEqualTo(512);
    assertThat(c.queueCapacity()).isEqualTo(BatcherBuilder.DEFAULT_QUEUE_CAPACITY).isEqualTo(8192);
    assertThat(c.maxDelayNanos()).isZero();
    assertThat(c.maxDelayJitter()).isEqualTo(BatcherBuilder.DEFAULT_MAX_DELAY_JITTER).isEqualTo(0.1);
    assertThat(c.maxInFlightBatches()).isEqualTo(1);
    assertThat(c.deliveryTimeoutNanos()).isEqualTo(TimeUnit.SECONDS.toNanos(120));
    assertThat(c.blockTimeoutNanos()).isEqualTo(TimeUnit.SECONDS.toNanos(10));
    assertThat(c.overflow()).isEqualTo(OverflowPolicy.BLOCK);
    assertThat(c.maxBatchWeight()).isEqualTo(Long.MAX_VALUE);
    assertThat(c.queueCapacityWeight()).isEqualTo(Long.MAX_VALUE);
    assertThat(c.timeSource()).isSameAs(TimeSource.system());
    assertThat(c.name()).startsWith("unnamed-");
    assertThat(c.sink()).isSameAs(SINK);
    assertThat(c.asyncSink()).isNull();
  }

  @Test
  void defaultThreads_areDaemon() {
    Thread t = builder().config().threadFactory().newThread(() -> {});
    assertThat(t.isDaemon()).isTrue();
  }

  @Test
  void sink_null_isRejected() {
    assertThatThrownBy(() -> Batcher.builder((BatchSink<String>) null))
        .isInstanceOf(NullPointerException.class).hasMessage("sink");
    assertThatThrownBy(() -> Batcher.asyncBuilder((AsyncBatchSink<String>) null))
        .isInstanceOf(NullPointerException.class).hasMessage("sink");
  }

  @Test
  void maxBatchSize_nonPositive_isRejected() {
    assertThatThrownBy(() -> builder().maxBatchSize(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("maxBatchSize must be positive: 0");
    assertThatThrownBy(() -> builder().maxBatchSize(-5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxBatchSize must be positive: -5");
  }

  @Test
  void maxBatchSize_setTwice_isRejected() {
    assertThatThrownBy(() -> builder().maxBatchSize(10).maxBatchSize(20))
        .isInstanceOf(IllegalStateException.class).hasMessage("maxBatchSize was already set to 10");
  }

  @Test
  void maxBatchWeight_nonPositive_isRejected() {
    assertThatThrownBy(() -> builder().maxBatchWeight(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxBatchWeight must be positive: 0");
  }

  @Test
  void queueCapacityWeight_nonPositive_isRejected() {
    assertThatThrownBy(() -> builder().queueCapacityWeight(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("queueCapacityWeight must be positive: -1");
  }

  @Test
  void maxDelay_negative_isRejected() {
    assertThatThrownBy(() -> builder().maxDelay(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxDelay must not be negative: PT-0.001S");
  }

  @Test
  void maxDelay_setTwice_isRejected() {
    assertThatThrownBy(
            () -> builder().maxDelay(Duration.ofMillis(5)).maxDelay(Duration.ofSeconds(5)))
        .isInstanceOf(IllegalStateException.class).hasMessage("maxDelay was already set to PT0.005S");
  }

  @Test
  void durationSetters_takeOnlyADuration() {
    // Every duration option has one setter, taking a Duration: no (long, TimeUnit) overloads.
    assertThat(Arrays.stream(BatcherBuilder.class.getMethods())
            .filter(m -> Arrays.asList(m.getParameterTypes()).contains(TimeUnit.class))
            .map(Method::getName))
        .isEmpty();
    assertThat(Arrays.stream(BatcherBuilder.class.getMethods())
            .filter(m -> Arrays.asList(m.getParameterTypes()).contains(Duration.class))
            .map(Method::getName).sorted())
        .containsExactly("blockTimeout", "deliveryTimeout", "maxDelay");
  }

  @Test
  void maxDelayJitter_outOfRange_isRejected() {
    assertThatThrownBy(() -> builder().maxDelayJitter(1.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxDelayJitter must be between 0 and 1: 1.5");
    assertThatThrownBy(() -> builder().maxDelayJitter(-0.1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxDelayJitter must be between 0 and 1: -0.1");
    assertThatThrownBy(() -> builder().maxDelayJitter(Double.NaN))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxDelayJitter must be between 0 and 1: NaN");
  }

  @Test
  void maxDelayJitter_bounds_areAccepted() {
    assertThat(builder().maxDelayJitter(0).config().maxDelayJitter()).isZero();
    assertThat(builder().maxDelayJitter(1).config().maxDelayJitter()).isEqualTo(1.0);
  }

  @Test
  void queueCapacity_nonPositive_isRejected() {
    assertThatThrownBy(() -> builder().queueCapacity(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("queueCapacity must be positive: 0");
  }

  @Test
  void maxInFlightBatches_nonPositive_isRejected() {
    assertThatThrownBy(() -> builder().maxInFlightBatches(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxInFlightBatches must be positive: 0");
  }

  @Test
  void deliveryTimeout_nonPositive_isRejected() {
    assertThatThrownBy(() -> builder().deliveryTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("deliveryTimeout must be positive: PT0S");
  }

  @Test
  void blockTimeout_nonPositive_isRejected() {
    assertThatThrownBy(() -> builder().blockTimeout(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("blockTimeout must be positive: PT-1S");
  }

  @Test
  void name_blank_isRejected() {
    assertThatThrownBy(() -> builder().name("  "))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("name must not be blank: '  '");
    assertThatThrownBy(() -> builder().name(null))
        .isInstanceOf(NullPointerException.class).hasMessage("name");
  }

  @Test
  void options_setTwice_areRejected() {
    assertThatThrownBy(() -> builder().overflow(OverflowPolicy.FAIL).overflow(OverflowPolicy.BLOCK))
        .isInstanceOf(IllegalStateException.class).hasMessage("overflow was already set to FAIL");
    assertThatThrownBy(() -> builder().queueCapacity(5).queueCapacity(6))
        .isInstanceOf(IllegalStateException.class).hasMessage("queueCapacity was already set to 5");
    assertThatThrownBy(() -> builder().maxDelayJitter(0.5).maxDelayJitter(0.2))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("maxDelayJitter was already set to 0.5");
    assertThatThrownBy(() -> builder().name("a").name("b"))
        .isInstanceOf(IllegalStateException.class).hasMessage("name was already set to a");
    assertThatThrownBy(() -> builder().maxInFlightBatches(2).maxInFlightBatches(3))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("maxInFlightBatches was already set to 2");
    assertThatThrownBy(() -> builder().deliveryTimeout(Duration.ofSeconds(1))
            .deliveryTimeout(Duration.ofSeconds(2)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("deliveryTimeout was already set to PT1S");
  }

  @Test
  void maxBatchSize_aboveQueueCapacity_isRejectedAtBuild() {
    assertThatThrownBy(() -> builder().maxBatchSize(100).queueCapacity(50).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("maxBatchSize (100) must not exceed queueCapacity (50)");
  }

  @Test
  void maxBatchSize_aboveDefaultQueueCapacity_isRejectedAtBuild() {
    assertThatThrownBy(() -> builder().maxBatchSize(10_000).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("maxBatchSize (10000) must not exceed queueCapacity (8192)");
    assertThat(builder().maxBatchSize(8192).config().maxBatchSize()).isEqualTo(8192);
  }

  @Test
  void blockTimeout_withoutBlockPolicy_isRejectedAtBuild() {
    assertThatThrownBy(() -> builder().overflow(OverflowPolicy.FAIL)
            .blockTimeout(Duration.ofSeconds(1)).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("blockTimeout (PT1S) applies only to overflow BLOCK, but overflow is FAIL");
  }

  @Test
  void weightBounds_withoutWeigher_areRejectedAtBuild() {
    assertThatThrownBy(() -> builder().maxBatchWeight(10).build())
        .isInstanceOf(IllegalStateException.class).hasMessage("maxBatchWeight (10) needs a weigher");
    assertThatThrownBy(() -> builder().queueCapacityWeight(10).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("queueCapacityWeight (10) needs a weigher");
  }

  @Test
  void weigher_withoutWeightBound_isRejectedAtBuild() {
    assertThatThrownBy(() -> builder().weigher(String::length).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("weigher is set but neither maxBatchWeight nor queueCapacityWeight is");
  }

  @Test
  void maxBatchWeight_aboveQueueCapacityWeight_isRejectedAtBuild() {
    assertThatThrownBy(() -> builder().weigher(String::length).maxBatchWeight(100)
            .queueCapacityWeight(10).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("maxBatchWeight (100) must not exceed queueCapacityWeight (10)");
  }

  @Test
  void coalesce_withWeigher_isRejectedAtBuild() {
    assertThatThrownBy(() -> builder().weigher(String::length).maxBatchWeight(10)
            .coalesce(s -> s, (a, b) -> a).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("coalesce cannot be combined with a weigher");
  }

  @Test
  void deliveryTimeout_notAboveLongestMaxDelay_isRejectedAtBuild() {
    assertThatThrownBy(() -> builder().maxDelay(Duration.ofSeconds(10)).maxDelayJitter(0.5)
            .deliveryTimeout(Duration.ofSeconds(15)).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("deliveryTimeout (PT15S) must exceed maxDelay (PT10S) x (1 + maxDelayJitter"
            + " 0.5)");
  }

  /**
   * A maxDelay and a deliveryTimeout both past the longest supported duration are clamped to the
   * same value: the refusal says so, rather than that X must exceed X.
   */
  @Test
  void hugeMaxDelayAndDeliveryTimeout_refusalSaysTheyWereClamped() {
    Duration clamp = Duration.ofNanos(Long.MAX_VALUE / 64);
    assertThatThrownBy(() -> builder().maxDelay(Duration.ofSeconds(Long.MAX_VALUE))
            .deliveryTimeout(Duration.ofSeconds(Long.MAX_VALUE)).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("deliveryTimeout (" + clamp + ") must exceed maxDelay (" + clamp
            + ")")
        .hasMessageEndingWith("; durations longer than " + clamp + " are clamped to it, the "
            + "longest supported, so set a maxDelay well below that");
    // Below the clamp, a huge maxDelay under a clamped deliveryTimeout is fine.
    assertThat(builder().maxDelay(Duration.ofDays(365)).maxDelayJitter(0)
        .deliveryTimeout(Duration.ofSeconds(Long.MAX_VALUE)).config().deliveryTimeoutNanos())
        .isEqualTo(Long.MAX_VALUE / 64);
  }

  @Test
  void hugeDurations_areClampedNotOverflowed() {
    BatcherConfig<String> c = builder().deliveryTimeout(Duration.ofDays(365 * 1000L)).config();
    assertThat(c.deliveryTimeoutNanos()).isPositive();
  }

  @Test
  void options_areCarriedIntoTheConfig() {
    BatcherConfig<String> c = builder()
        .name("likes").maxBatchSize(7).queueCapacity(70).maxDelay(Duration.ofMillis(3))
        .maxDelayJitter(0.25).overflow(OverflowPolicy.DROP_OLDEST).maxInFlightBatches(4)
        .deliveryTimeout(Duration.ofSeconds(9)).config();
    assertThat(c.name()).isEqualTo("likes");
    assertThat(c.maxBatchSize()).isEqualTo(7);
    assertThat(c.queueCapacity()).isEqualTo(70);
    assertThat(c.maxDelayNanos()).isEqualTo(3_000_000L);
    assertThat(c.maxDelayJitter()).isEqualTo(0.25);
    assertThat(c.overflow()).isEqualTo(OverflowPolicy.DROP_OLDEST);
    assertThat(c.maxInFlightBatches()).isEqualTo(4);
    assertThat(c.deliveryTimeoutNanos()).isEqualTo(9_000_000_000L);
  }
}
