package dev.batcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.batcher.testing.RecordingSink;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The metrics the batcher counts and the events its listener sees. */
class MetricsAndListenerTest extends BatcherTestSupport {
  @Test
  void metrics_countEveryItemOnce() {
    RecordingSink<Integer> sink = new RecordingSink<>();
    Batcher<Integer> b = track(Batcher.builder(sink).maxBatchSize(10).build());
    for (int i = 0; i < 95; i++) {
      b.submit(i);
    }
    b.flush().join();
    BatcherMetrics m = b.metrics();
    assertThat(m.submitted()).isEqualTo(95);
    assertThat(m.succeeded()).isEqualTo(95);
    assertThat(m.pending()).isZero();
    assertThat(m.queueDepth()).isZero();
    assertThat(m.totalBatches()).isEqualTo(sink.batches.size());
    assertThat(m.batchSize().count()).isEqualTo(sink.batches.size());
    assertThat(m.batchSize().max()).isLessThanOrEqualTo(10);
    assertThat(m.latency().count()).isEqualTo(95);
  }

  @Test
  void listener_seesBatchesRefusalsDropsAndFailures() {
    List<String> events = new CopyOnWriteArrayList<>();
    BatcherListener<Integer> listener = new BatcherListener<>() {
      @Override
      public void onBatch(BatchEvent e) {
        events.add("batch " + e.cause() + " " + e.size() + " ok=" + e.succeeded()
            + " failed=" + e.failed());
      }

      @Override
      public void onRefused(Integer item, RefusalReason reason) {
        events.add("refused " + item + " " + reason);
      }

      @Override
      public void onDropped(Integer item, DropReason reason) {
        events.add("dropped " + item + " " + reason);
      }

      @Override
      public void onFailed(Integer item, Throwable cause) {
        events.add("failed " + item + " " + cause.getMessage());
      }
    };
    RecordingSink<Integer> sink = new RecordingSink<>(batch -> batch.contains(13)
        ? BatchResult.builder(batch.size()).failedPermanently(batch.indexOf(13),
            new IllegalArgumentException("unlucky")).build()
        : BatchResult.success(), 0);
    Batcher<Integer> b = Batcher.builder(sink).maxBatchSize(2).queueCapacity(2)
        .overflow(OverflowPolicy.DROP_OLDEST).listener(listener).build();
    b.submit(12); // alone in flight, held by the gate
    await().until(() -> b.metrics().inFlightBatches() == 1);
    b.submit(11);
    b.submit(13); // the queue is full: evicts 11
    sink.openForever();
    await().until(() -> b.metrics().succeeded() + b.metrics().failed() == 2);
    b.close();
    b.submit(99);
    assertThat(events).containsExactly(
        "dropped 11 EVICTED",
        "batch DELAY 1 ok=1 failed=0",
        "failed 13 unlucky",
        "batch DELAY 1 ok=0 failed=1",
        "refused 99 CLOSED");
  }

  @Test
  void listenerThatThrows_doesNotDisturbTheBatcher() {
    Batcher<String> b = track(Batcher.builder((List<String> batch) -> BatchResult.success())
        .listener(new BatcherListener<String>() {
          @Override
          public void onBatch(BatchEvent e) {
            throw new IllegalStateException("listener bug");
          }
        }).build());
    b.submit("a").join();
    b.submit("b").join();
    assertThat(b.metrics().succeeded()).isEqualTo(2);
  }

  @Test
  void onItemsCompleted_reportsTheLatenciesTheMetricsRecord() {
    List<Long> latencies = new CopyOnWriteArrayList<>();
    BatcherListener<Integer> listener = new BatcherListener<>() {
      @Override
      public void onItemsCompleted(ItemLatencies l) {
        for (int i = 0; i < l.count(); i++) {
          latencies.add(l.nanos(i));
        }
      }
    };
    RecordingSink<Integer> sink = new RecordingSink<>(batch -> {
      clock.advance(Duration.ofMillis(2));
      return BatchResult.success();
    }, Integer.MAX_VALUE);
    Batcher<Integer> b = track(Batcher.builder(sink).maxBatchSize(4).maxDelay(LONG)
        .maxDelayJitter(0).timeSource(clock).listener(listener).build());
    b.submit(1);
    b.submit(2);
    clock.advance(Duration.ofMillis(5));
    b.flush().join();

    // Each waited 5 ms for the flush and 2 ms in the sink; joined, so already reported.
    assertThat(latencies).containsExactly(7_000_000L, 7_000_000L);
    Distribution d = b.metrics().latency();
    assertThat(d.count()).isEqualTo(2);
    assertThat(d.max()).isEqualTo(7_000_000L);
  }

  @Test
  void listenerEvents_areDeliveredBeforeTheFuturesComplete() {
    List<String> seen = new CopyOnWriteArrayList<>();
    List<CompletableFuture<Void>> futures = new CopyOnWriteArrayList<>();
    BatcherListener<Integer> listener = new BatcherListener<>() {
      @Override
      public void onBatch(BatchEvent e) {
        seen.add("batch done=" + futures.stream().filter(CompletableFuture::isDone).count());
      }

      @Override
      public void onItemsCompleted(ItemLatencies l) {
        seen.add("latencies " + l.count() + " done="
            + futures.stream().filter(CompletableFuture::isDone).count());
      }
    };
    RecordingSink<Integer> sink = RecordingSink.gated();
    Batcher<Integer> b = track(Batcher.builder(sink).maxBatchSize(3).maxDelay(LONG)
        .listener(listener).build());
    for (int i = 0; i < 3; i++) {
      futures.add(b.submit(i));
    }
    sink.openForever();
    CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).join();

    assertThat(seen).containsExactly("latencies 3 done=0", "batch done=0");
  }

  @Test
  void listenerThatThrowsOnLatencies_doesNotDisturbTheItems() {
    AtomicLong calls = new AtomicLong();
    Batcher<String> b = track(Batcher.builder((List<String> batch) -> BatchResult.success())
        .listener(new BatcherListener<String>() {
          @Override
          public void onItemsCompleted(ItemLatencies l) {
            calls.incrementAndGet();
            throw new IllegalStateException("listener bug");
          }
        }).build());
    b.submit("a").join();
    b.submit("b").join();
    assertThat(b.metrics().succeeded()).isEqualTo(2);
    assertThat(calls).hasValue(2);
  }
}
