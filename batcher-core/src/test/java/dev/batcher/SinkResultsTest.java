package dev.batcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static dev.batcher.TestSupport.failureOf;
import static org.awaitility.Awaitility.await;

import dev.batcher.testing.RecordingSink;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** What the sink's results and errors do to each item's future; null items; the batch list. */
class SinkResultsTest extends BatcherTestSupport {
  @Test
  void perItemResults_failOnlyTheItemsTheSinkNames() {
    IllegalArgumentException bad = new IllegalArgumentException("row 47 violates a constraint");
    RecordingSink<Integer> sink = new RecordingSink<>(
        batch -> BatchResult.builder(batch.size()).failedPermanently(batch.indexOf(47), bad)
            .build(), Integer.MAX_VALUE);
    Batcher<Integer> b = track(Batcher.builder(sink).name("multi").maxBatchSize(50)
        .maxDelay(LONG).timeSource(clock).build());
    List<CompletableFuture<Void>> fs = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      fs.add(b.submit(i));
    }
    await().until(() -> fs.stream().allMatch(CompletableFuture::isDone));
    for (int i = 0; i < 50; i++) {
      if (i == 47) {
        Throwable t = failureOf(fs.get(i));
        assertThat(t).isInstanceOf(ItemWriteException.class).hasCause(bad);
      } else {
        assertThat(fs.get(i)).isCompleted();
      }
    }
    BatcherMetrics m = b.metrics();
    assertThat(m.succeeded()).isEqualTo(49);
    assertThat(m.failed()).isEqualTo(1);
  }

  @Test
  void sinkThatThrows_failsTheBatchAndTheBatcherGoesOn() {
    AtomicInteger calls = new AtomicInteger();
    Batcher<String> b = track(Batcher.builder((List<String> batch) -> {
      if (calls.incrementAndGet() == 1) {
        throw new java.io.IOException("connection reset");
      }
      return BatchResult.success();
    }).name("io").retryPolicy(RetryPolicy.none()).build());
    Throwable t = failureOf(b.submit("first"));
    assertThat(t).isInstanceOf(ItemWriteException.class)
        .hasMessage("batcher 'io' could not write the item after 1 attempt: "
            + "java.io.IOException: connection reset");
    b.submit("second").join();
    assertThat(b.metrics().failed()).isEqualTo(1);
    assertThat(b.metrics().succeeded()).isEqualTo(1);
  }

  @Test
  void sinkThatThrowsAnError_doesNotKillTheWorker() {
    AtomicInteger calls = new AtomicInteger();
    Batcher<String> b = track(Batcher.builder((List<String> batch) -> {
      if (calls.incrementAndGet() == 1) {
        throw new StackOverflowError("deep");
      }
      return BatchResult.success();
    }).build());
    assertThat(failureOf(b.submit("x"))).hasCauseInstanceOf(StackOverflowError.class);
    b.submit("y").join();
  }

  @Test
  void sinkReturningNullOrWrongSize_failsTheBatch() {
    AtomicInteger calls = new AtomicInteger();
    Batcher<String> b = track(Batcher.builder((List<String> batch) ->
        calls.incrementAndGet() == 1 ? null : BatchResult.builder(batch.size() + 1).build())
        .build());
    assertThat(failureOf(b.submit("x")).getCause())
        .isInstanceOf(NullPointerException.class)
        .hasMessage("BatchSink.write returned null instead of a result");
    assertThat(failureOf(b.submit("y")).getCause())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("BatchSink.write returned a result for 2 items for a batch of 1");
  }

  @Test
  void nullItem_isRefusedWithAClearMessage() {
    Batcher<String> b = track(Batcher.create(batch -> BatchResult.success()));
    assertThatThrownBy(() -> b.submit(null)).isInstanceOf(NullPointerException.class)
        .hasMessage("item");
    assertThatThrownBy(() -> b.offer(null)).isInstanceOf(NullPointerException.class)
        .hasMessage("item");
    assertThat(b.metrics().submitted()).isZero();
  }

  @Test
  void batchList_isUnmodifiable() {
    AtomicReference<Throwable> seen = new AtomicReference<>();
    Batcher<String> b = track(Batcher.create((List<String> batch) -> {
      try {
        batch.add("sneaky");
      } catch (UnsupportedOperationException e) {
        seen.set(e);
      }
      return BatchResult.success();
    }));
    b.submit("x").join();
    assertThat(seen.get()).isInstanceOf(UnsupportedOperationException.class);
  }
}
