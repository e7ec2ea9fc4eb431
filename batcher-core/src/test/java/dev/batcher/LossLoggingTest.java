package dev.batcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.batcher.internal.LogCapture;
import dev.batcher.testing.ManualTimeSource;
import dev.batcher.testing.RecordingSink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/**
 * Lost items leave a trace in the log even when nobody reads their futures: refusals and drops
 * are logged at WARN, at most once per reason per ten seconds of the batcher's clock, with how
 * many were lost since the previous line; accepting logs nothing.
 */
class LossLoggingTest {
  private static final String EVERY_10_S = "; reported at most once per 10 s per reason";

  private final ManualTimeSource clock = new ManualTimeSource();
  private final List<Batcher<?>> open = new ArrayList<>();
  private final LogCapture log = LogCapture.of(LogCapture.BATCHER);

  @AfterEach
  void closeAll() {
    open.forEach(b -> b.close(Duration.ofSeconds(5)));
    log.close();
  }

  private <T> Batcher<T> track(Batcher<T> b) {
    open.add(b);
    return b;
  }

  private List<String> linesOf(String batcher) {
    return log.lines(Level.WARN, "batcher '" + batcher + "'");
  }

  @Test
  void accepting_logsNothing() {
    Batcher<Integer> b = track(Batcher.builder(new RecordingSink<Integer>()).name("quiet")
        .maxDelay(Duration.ZERO).build());
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      all.add(b.submit(i));
      assertThat(b.offer(i)).isTrue();
    }
    CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).join();
    assertThat(b.close(Duration.ofSeconds(5))).isTrue();
    assertThat(log.all()).filteredOn(e -> e.message().contains("'quiet'"))
        .isEmpty();
  }

  @Test
  void refusals_firstAtOnce_thenOneLinePerIntervalWithTheCountSinceTheLast() {
    RecordingSink<Integer> sink = RecordingSink.gated();
    Batcher<Integer> b = track(Batcher.builder(sink).name("shed-log").maxBatchSize(1)
        .queueCapacity(1).overflow(OverflowPolicy.FAIL).deliveryTimeout(Duration.ofHours(1))
        .timeSource(clock).build());
    b.submit(0); // fills the queue
    assertThat(linesOf("shed-log")).isEmpty();

    assertThat(b.offer(1)).isFalse();
    String first = "batcher 'shed-log' refused 1 item(s) (QUEUE_FULL) since the last report: "
        + "the queue is full (queueCapacity 1, overflow FAIL)" + EVERY_10_S;
    assertThat(linesOf("shed-log")).containsExactly(first);

    for (int i = 2; i <= 5; i++) {
      assertThat(b.offer(i)).isFalse();
    }
    b.submit(6); // a refused submit counts the same
    clock.advance(Duration.ofSeconds(10).minusNanos(1));
    assertThat(b.offer(7)).isFalse();
    assertThat(linesOf("shed-log")).as("nothing more within the interval")
        .containsExactly(first);

    clock.advance(Duration.ofNanos(1));
    assertThat(b.offer(8)).isFalse();
    assertThat(linesOf("shed-log")).containsExactly(first,
        "batcher 'shed-log' refused 7 item(s) (QUEUE_FULL) since the last report: "
            + "the queue is full (queueCapacity 1, overflow FAIL)" + EVERY_10_S);

    // Each reason has its own gate: the first refusal after close is reported at once.
    sink.openForever();
    assertThat(b.close(Duration.ofSeconds(5))).isTrue();
    assertThat(b.offer(9)).isFalse();
    assertThat(linesOf("shed-log")).hasSize(3).last().isEqualTo(
        "batcher 'shed-log' refused 1 item(s) (CLOSED) since the last report: "
            + "the batcher is closed" + EVERY_10_S);
    assertThat(b.metrics().refused()).containsEntry(RefusalReason.QUEUE_FULL, 8L)
        .containsEntry(RefusalReason.CLOSED, 1L);
  }

  @Test
  void theTailOfABurst_isReportedWhenTheBatcherTerminates() {
    RecordingSink<Integer> sink = RecordingSink.gated();
    Batcher<Integer> b = track(Batcher.builder(sink).name("tail-log").maxBatchSize(1)
        .queueCapacity(1).overflow(OverflowPolicy.FAIL).deliveryTimeout(Duration.ofHours(1))
        .timeSource(clock).build());
    b.submit(0); // fills the queue
    for (int i = 1; i <= 4; i++) {
      assertThat(b.offer(i)).isFalse(); // the first is reported at once, the other 3 wait
    }
    assertThat(linesOf("tail-log")).hasSize(1);

    sink.openForever();
    assertThat(b.close(Duration.ofSeconds(5))).isTrue();

    await().untilAsserted(() -> assertThat(linesOf("tail-log")).hasSize(2).last().isEqualTo(
        "batcher 'tail-log' refused 3 item(s) (QUEUE_FULL) since the last report: "
            + "the queue is full (queueCapacity 1, overflow FAIL)"));
  }

  @Test
  void evictions_areReportedOncePerIntervalWithTheirCount() {
    RecordingSink<Integer> sink = RecordingSink.gated();
    Batcher<Integer> b = track(Batcher.builder(sink).name("evict-log").maxBatchSize(1)
        .queueCapacity(2).overflow(OverflowPolicy.DROP_OLDEST).maxDelay(Duration.ZERO)
        .deliveryTimeout(Duration.ofHours(1)).timeSource(clock).build());
    b.submit(0);
    await().until(() -> b.metrics().inFlightBatches() == 1);
    b.submit(1); // waits
    b.submit(2); // evicts 1
    String evicted = "(EVICTED) since the last report: evicted by a newer item: the queue was "
        + "full (queueCapacity 2, overflow DROP_OLDEST)" + EVERY_10_S;
    assertThat(linesOf("evict-log"))
        .containsExactly("batcher 'evict-log' dropped 1 item(s) " + evicted);
    b.submit(3); // evicts 2
    b.submit(4); // evicts 3
    assertThat(linesOf("evict-log")).hasSize(1);
    clock.advance(Duration.ofSeconds(10));
    b.submit(5); // evicts 4
    assertThat(linesOf("evict-log")).containsExactly(
        "batcher 'evict-log' dropped 1 item(s) " + evicted,
        "batcher 'evict-log' dropped 3 item(s) " + evicted);
    sink.openForever();
  }

  @Test
  void deliveryTimeouts_areReported() {
    RecordingSink<Integer> sink = RecordingSink.gated();
    Batcher<Integer> b = track(Batcher.builder(sink).name("late-log").maxDelay(Duration.ZERO)
        .deliveryTimeout(Duration.ofSeconds(1)).timeSource(clock).build());
    CompletableFuture<Void> f = b.submit(0);
    await().until(() -> b.metrics().inFlightBatches() == 1 && clock.isParked("late-log-monitor"));
    clock.advance(Duration.ofSeconds(1));
    await().until(f::isDone);
    assertThat(linesOf("late-log")).filteredOn(l -> l.contains("(DELIVERY_TIMEOUT)"))
        .containsExactly("batcher 'late-log' dropped 1 item(s) (DELIVERY_TIMEOUT) since the last "
            + "report: not finished within deliveryTimeout PT1S; if its batch was in flight it "
            + "may still have been written" + EVERY_10_S);
    sink.openForever();
  }

  @Test
  void closeTimeouts_areNotReportedHere_theCloseLogsThem() {
    RecordingSink<Integer> sink = RecordingSink.gated();
    Batcher<Integer> b = track(Batcher.builder(sink).name("close-log").maxDelay(Duration.ZERO)
        .deliveryTimeout(Duration.ofHours(1)).timeSource(clock).build());
    b.submit(0);
    await().until(() -> b.metrics().inFlightBatches() == 1);
    assertThat(b.close(Duration.ZERO)).isFalse();
    assertThat(linesOf("close-log"))
        .containsExactly("batcher 'close-log': close timed out; unfinished items were dropped");
    sink.openForever();
  }

  @Test
  void failuresHeldBackByTheRateLimit_areReportedWhenTheBatcherTerminates() {
    BatchSink<Integer> failing = batch -> {
      throw new IllegalArgumentException("bad item");
    };
    Batcher<Integer> b = track(Batcher.builder(failing).name("fail-log").maxBatchSize(1)
        .maxDelay(Duration.ZERO).retryPolicy(RetryPolicy.none()).timeSource(clock).build());
    for (int i = 0; i < 5; i++) {
      assertThat(b.submit(i)).failsWithin(Duration.ofSeconds(5)); // one batch each
    }
    assertThat(linesOf("fail-log")).singleElement().asString()
        .startsWith("batcher 'fail-log': 1 item(s) failed for good");

    assertThat(b.close(Duration.ofSeconds(5))).isTrue();
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(linesOf("fail-log"))
        .hasSize(2).last().isEqualTo("batcher 'fail-log': 4 more warning(s) like those before"
            + " were suppressed since the last one; its metrics count every item"));
  }
}
