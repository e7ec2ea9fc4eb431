package dev.batcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.batcher.testing.RecordingSink;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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
}
