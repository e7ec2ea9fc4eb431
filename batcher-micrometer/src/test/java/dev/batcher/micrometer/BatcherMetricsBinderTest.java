package dev.batcher.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import dev.batcher.BatchResult;
import dev.batcher.BatchSink;
import dev.batcher.Batcher;
import dev.batcher.BatcherBuilder;
import dev.batcher.Distribution;
import dev.batcher.DroppedItemException;
import dev.batcher.InMemoryDeadLetters;
import dev.batcher.OverflowPolicy;
import dev.batcher.RejectedItemException;
import dev.batcher.RetryPolicy;
import dev.batcher.testing.ManualTimeSource;
import dev.batcher.testing.RecordingSink;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Drives real batchers through success, retries, poison items, refusals and drops, and checks
 * every meter of each against the exact value the scenario must produce. The manual clock makes
 * the latencies exact: it moves only where a test (or its sink) moves it.
 */
class BatcherMetricsBinderTest {
  private final ManualTimeSource clock = new ManualTimeSource();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<Batcher<?>> open = new ArrayList<>();
  private final Map<String, Batcher<?>> byName = new HashMap<>();

  @AfterEach
  void closeAll() {
    open.forEach(b -> b.close(Duration.ofSeconds(5)));
  }

  /** Builds the batcher with a fresh listener, binds it to the registry, and tracks it. */
  private <T> Batcher<T> bound(BatcherBuilder<T> builder) {
    BatcherMetricsListener events = new BatcherMetricsListener();
    Batcher<T> b = builder.timeSource(clock).listener(events).build();
    open.add(b);
    byName.put(b.name(), b);
    BatcherMetricsBinder.builder(b).listener(events).build().bindTo(registry);
    return b;
  }

  /**
   * Waits for the readings, then checks that the latency timer, fed by the listener, counts what
   * the snapshot's latency distribution counts.
   */
  private void awaitMeters(String name, MeterReadings expected) {
    await().untilAsserted(
        () -> assertThat(MeterReadings.read(registry, name)).isEqualTo(expected.values()));
    Distribution latency = byName.get(name).metrics().latency();
    Timer timer = registry.get("batcher.latency").tag("name", name).timer();
    assertThat(timer.count()).isEqualTo(latency.count());
    assertThat(timer.totalTime(TimeUnit.NANOSECONDS))
        .isCloseTo(latency.mean() * latency.count(), within(1.0));
    assertThat(timer.max(TimeUnit.NANOSECONDS)).isEqualTo(latency.max());
  }

  private static Throwable failureOf(CompletableFuture<?> f) {
    return assertThatThrownBy(f::join).isInstanceOf(CompletionException.class)
        .actual().getCause();
  }

  @Test
  void successes_countItemsFlushesBatchSizesAndLatencies() {
    Batcher<Integer> likes = bound(Batcher.builder(Scenarios.twoMillisecondSink(clock))
        .name("likes").maxBatchSize(4).queueCapacity(16).maxDelay(Duration.ofSeconds(60))
        .maxDelayJitter(0));

    Scenarios.tenItems(likes, clock);

    awaitMeters("likes", MeterReadings.zeros()
        .set("batcher.items.submitted count", 10)
        .set("batcher.items{outcome=succeeded} count", 10)
        .set("batcher.flushes{cause=size} count", 2)
        .set("batcher.flushes{cause=flush} count", 1)
        .set("batcher.latency count", 10)
        .set("batcher.latency total_time", 0.030) // 8 x 2 ms + 2 x 7 ms
        .set("batcher.latency max", 0.007)
        .set("batcher.batch.size count", 3)
        .set("batcher.batch.size total", 10)
        .set("batcher.batch.size max", 4)
        .set("batcher.sink.duration count", 3)
        .set("batcher.sink.duration total_time", 0.006)
        .set("batcher.sink.duration max", 0.002));
  }

  @Test
  void sinkFailures_countRetriesAndItemsFailedForGood() {
    // The first call throws a retryable error; the retry writes all but "b", which fails again
    // and is then out of attempts (no dead-letter handler: it counts as failed).
    AtomicInteger calls = new AtomicInteger();
    BatchSink<String> sink = batch -> {
      if (calls.incrementAndGet() == 1) {
        throw new IOException("connection reset");
      }
      return BatchResult.builder(batch.size())
          .failedRetryably(batch.indexOf("b"), new IOException("timeout on b")).build();
    };
    Batcher<String> orders = bound(Batcher.builder(sink).name("orders")
        .maxDelay(Duration.ofSeconds(60)).maxDelayJitter(0)
        .retryPolicy(RetryPolicy.builder().maxAttempts(2).initialBackoff(Duration.ofSeconds(1))
            .maxBackoff(Duration.ofSeconds(1)).backoffJitter(RetryPolicy.Jitter.NONE).build()));

    List<CompletableFuture<Void>> fs = List.of(
        orders.submit("a"), orders.submit("b"), orders.submit("c"));
    CompletableFuture<Void> flushed = orders.flush();
    await().until(() -> orders.metrics().retries() == 3);
    clock.advance(Duration.ofSeconds(1)); // the backoff
    flushed.join();

    assertThat(failureOf(fs.get(1))).hasMessageContaining("timeout on b");
    awaitMeters("orders", MeterReadings.zeros()
        .set("batcher.items.submitted count", 3)
        .set("batcher.items{outcome=succeeded} count", 2)
        .set("batcher.items{outcome=failed} count", 1)
        .set("batcher.flushes{cause=flush} count", 1)
        .set("batcher.flushes{cause=retry} count", 1)
        .set("batcher.retries count", 3)
        .set("batcher.latency count", 3)
        .set("batcher.latency total_time", 3) // each item waited out the 1 s backoff
        .set("batcher.latency max", 1)
        .set("batcher.batch.size count", 2)
        .set("batcher.batch.size total", 6)
        .set("batcher.batch.size max", 3)
        .set("batcher.sink.duration count", 2));
  }

  @Test
  void poisonItem_countsBisectionsAndDeadLetters() {
    // An atomic sink that refuses any batch holding 2: [0 1 2 3] -> [0 1] ok, [2 3] -> [2] dead
    // letter, [3] ok.
    BatchSink<Integer> sink = BatchSink.atomic(batch -> {
      if (batch.contains(2)) {
        throw new IllegalArgumentException("poison 2");
      }
      return BatchResult.success();
    });
    InMemoryDeadLetters<Integer> dead = new InMemoryDeadLetters<>();
    Batcher<Integer> events = bound(Batcher.builder(sink).name("events").maxBatchSize(4)
        .queueCapacity(4).maxDelay(Duration.ofSeconds(60)).maxDelayJitter(0)
        .deadLetterHandler(dead));

    for (int i = 0; i < 4; i++) {
      events.submit(i);
    }
    events.flush().join();

    assertThat(dead.items()).containsExactly(2);
    awaitMeters("events", MeterReadings.zeros()
        .set("batcher.items.submitted count", 4)
        .set("batcher.items{outcome=succeeded} count", 3)
        .set("batcher.items{outcome=dead_lettered} count", 1)
        .set("batcher.items.dead.lettered count", 1)
        .set("batcher.flushes{cause=size} count", 1)
        .set("batcher.flushes{cause=retry} count", 4)
        .set("batcher.bisections count", 2)
        .set("batcher.latency count", 4)
        .set("batcher.batch.size count", 5)
        .set("batcher.batch.size total", 10) // 4 + 2 + 2 + 1 + 1
        .set("batcher.batch.size max", 4)
        .set("batcher.sink.duration count", 5));
  }

  @Test
  void fullQueue_countsRefusalsAndShowsTheQueueWhileTheSinkHolds() {
    RecordingSink<Integer> sink = RecordingSink.gated();
    Batcher<Integer> clicks = bound(Batcher.builder(sink).name("clicks").maxBatchSize(1)
        .queueCapacity(2).overflow(OverflowPolicy.FAIL));

    clicks.submit(0); // to the sink, which holds it
    await().until(() -> clicks.metrics().inFlightBatches() == 1);
    clicks.submit(1); // waits in the queue
    assertThat(failureOf(clicks.submit(2))).isInstanceOf(RejectedItemException.class);
    assertThat(clicks.offer(3)).isFalse();

    awaitMeters("clicks", MeterReadings.zeros()
        .set("batcher.items.submitted count", 4)
        .set("batcher.items{outcome=refused} count", 2)
        .set("batcher.items.refused{reason=queue_full} count", 2)
        .set("batcher.items.pending value", 2)
        .set("batcher.queue.depth value", 1)
        .set("batcher.batches.in.flight value", 1));

    sink.openForever();
    await().until(() -> clicks.metrics().succeeded() == 2);
    clicks.close();
    assertThat(failureOf(clicks.submit(4))).isInstanceOf(RejectedItemException.class);

    // A closed batcher's meters keep reading its final values.
    awaitMeters("clicks", MeterReadings.zeros()
        .set("batcher.items.submitted count", 5)
        .set("batcher.items{outcome=succeeded} count", 2)
        .set("batcher.items{outcome=refused} count", 3)
        .set("batcher.items.refused{reason=queue_full} count", 2)
        .set("batcher.items.refused{reason=closed} count", 1)
        .set("batcher.flushes{cause=size} count", 2) // each item fills a batch
        .set("batcher.latency count", 2)
        .set("batcher.batch.size count", 2)
        .set("batcher.batch.size total", 2)
        .set("batcher.batch.size max", 1)
        .set("batcher.sink.duration count", 2));
  }

  @Test
  void evictionsAndDeliveryTimeouts_countDropsAndTheAbandonedCall() {
    // A sink call that ignores interrupts: abandoned, it keeps running until the gate opens.
    Semaphore gate = new Semaphore(0);
    BatchSink<Integer> sink = batch -> {
      gate.acquireUninterruptibly();
      return BatchResult.success();
    };
    Batcher<Integer> views = bound(Batcher.builder(sink).name("views").maxBatchSize(1)
        .queueCapacity(2).overflow(OverflowPolicy.DROP_OLDEST)
        .deliveryTimeout(Duration.ofSeconds(10)));

    CompletableFuture<Void> hung = views.submit(0); // held by the sink, accepted at T0
    await().until(() -> views.metrics().inFlightBatches() == 1);
    clock.advance(Duration.ofSeconds(5));
    CompletableFuture<Void> evicted = views.submit(1); // waits, accepted at T0 + 5 s
    views.submit(2); // evicts 1, accepted at T0 + 5 s
    assertThat(failureOf(evicted)).isInstanceOf(DroppedItemException.class);
    clock.advance(Duration.ofSeconds(5)); // 0 times out, its call is abandoned, 2 goes out

    assertThat(failureOf(hung)).isInstanceOf(DroppedItemException.class);
    awaitMeters("views", MeterReadings.zeros()
        .set("batcher.items.submitted count", 3)
        .set("batcher.items{outcome=dropped} count", 2)
        .set("batcher.items.dropped{reason=evicted} count", 1)
        .set("batcher.items.dropped{reason=delivery_timeout} count", 1)
        .set("batcher.flushes{cause=size} count", 1) // the abandoned call, counted at once
        .set("batcher.items.pending value", 1)
        .set("batcher.batches.in.flight value", 1)
        .set("batcher.sink.calls.abandoned value", 1)
        .set("batcher.latency count", 2)
        .set("batcher.latency total_time", 10) // 0 waited 10 s, 1 was evicted at once
        .set("batcher.latency max", 10));

    gate.release(2); // the abandoned call returns; 2 is written
    await().until(() -> views.metrics().succeeded() == 1);
    awaitMeters("views", MeterReadings.zeros()
        .set("batcher.items.submitted count", 3)
        .set("batcher.items{outcome=succeeded} count", 1)
        .set("batcher.items{outcome=dropped} count", 2)
        .set("batcher.items.dropped{reason=evicted} count", 1)
        .set("batcher.items.dropped{reason=delivery_timeout} count", 1)
        .set("batcher.flushes{cause=size} count", 2)
        .set("batcher.latency count", 3)
        .set("batcher.latency total_time", 15) // and 2 waited 5 s
        .set("batcher.latency max", 10)
        // An abandoned call sends no event: only the call that wrote 2 is in the listener's meters.
        .set("batcher.batch.size count", 1)
        .set("batcher.batch.size total", 1)
        .set("batcher.batch.size max", 1)
        .set("batcher.sink.duration count", 1));
  }
}
