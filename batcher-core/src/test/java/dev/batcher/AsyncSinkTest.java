package dev.batcher;

import static org.assertj.core.api.Assertions.assertThat;
import static dev.batcher.TestSupport.failureOf;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Batchers over an AsyncBatchSink: bounded outstanding stages, failed stages, hung stages. */
class AsyncSinkTest extends BatcherTestSupport {
  @Test
  void asyncSink_boundsOutstandingStagesAndCompletesItems() {
    List<CompletableFuture<BatchResult>> stages = new CopyOnWriteArrayList<>();
    AsyncBatchSink<Integer> sink = batch -> {
      CompletableFuture<BatchResult> f = new CompletableFuture<>();
      stages.add(f);
      return f;
    };
    Batcher<Integer> b = track(Batcher.asyncBuilder(sink).maxBatchSize(1).maxInFlightBatches(2)
        .retryPolicy(RetryPolicy.none()).build());
    List<CompletableFuture<Void>> fs = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      fs.add(b.submit(i));
    }
    await().until(() -> stages.size() == 2);
    assertThat(b.metrics().inFlightBatches()).isEqualTo(2);
    stages.get(0).complete(BatchResult.success());
    await().until(() -> stages.size() == 3);
    stages.get(1).completeExceptionally(new java.io.IOException("down"));
    assertThat(failureOf(fs.get(1))).isInstanceOf(ItemWriteException.class)
        .hasCauseInstanceOf(java.io.IOException.class);
    await().until(() -> stages.size() == 4);
    stages.get(2).complete(BatchResult.success());
    stages.get(3).complete(BatchResult.success());
    await().until(() -> stages.size() == 5);
    stages.get(4).complete(BatchResult.success());
    CompletableFuture.allOf(fs.get(0), fs.get(2), fs.get(3), fs.get(4)).join();
  }

  @Test
  void asyncSink_thatThrowsOrReturnsNull_failsTheBatch() {
    AtomicInteger calls = new AtomicInteger();
    Batcher<String> b = track(Batcher.asyncBuilder((List<String> batch) -> {
      int n = calls.incrementAndGet();
      if (n == 1) {
        throw new IllegalStateException("boom");
      }
      return n == 2 ? null : CompletableFuture.completedFuture(BatchResult.success());
    }).retryPolicy(RetryPolicy.none()).build());
    assertThat(failureOf(b.submit("a"))).hasRootCauseMessage("boom");
    assertThat(failureOf(b.submit("b"))).hasRootCauseMessage(
        "AsyncBatchSink.write returned null instead of a stage");
    b.submit("c").join();
  }

  @Test
  void asyncSink_stageThatNeverCompletes_isAbandonedAtDeliveryTimeout() {
    AtomicInteger calls = new AtomicInteger();
    Batcher<String> b = track(Batcher.asyncBuilder((List<String> batch) ->
        calls.incrementAndGet() == 1 ? new CompletableFuture<BatchResult>()
            : CompletableFuture.completedFuture(BatchResult.success()))
        .deliveryTimeout(Duration.ofSeconds(5)).timeSource(clock).build());
    CompletableFuture<Void> lost = b.submit("lost");
    await().until(() -> b.metrics().inFlightBatches() == 1 && clock.isParked("-monitor"));
    clock.advance(Duration.ofSeconds(5));
    assertThat(((DroppedItemException) failureOf(lost)).reason())
        .isEqualTo(DropReason.DELIVERY_TIMEOUT);
    b.submit("next").join(); // the slot was freed
  }
}
