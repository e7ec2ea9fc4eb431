package dev.batcher;

import static dev.batcher.TestSupport.failureOf;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a sink can say beyond success and per-item failure: a poison item pinpointed (the others
 * not attempted, sent again at once) and a batch failure that is about no item (never split).
 */
class SinkVerdictsTest {
  private static final Duration WAIT = Duration.ofSeconds(5);
  private Batcher<?> open;

  @AfterEach
  void closeIt() {
    if (open != null) {
      open.close(WAIT);
    }
  }

  private <T> Batcher<T> track(Batcher<T> b) {
    open = b;
    return b;
  }

  /** Submits 0..n-1 at once under a long delay, so that they form one batch. */
  private static List<CompletableFuture<Void>> submitAll(Batcher<Integer> b, int n) {
    List<CompletableFuture<Void>> fs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      fs.add(b.submit(i));
    }
    return fs;
  }

  @Test
  void pinpointedPoison_othersAreResentOnceWithoutSplitsOrAttempts() {
    List<List<Integer>> calls = new CopyOnWriteArrayList<>();
    IllegalArgumentException duplicate = new IllegalArgumentException("duplicate key 37");
    Batcher<Integer> b = track(Batcher.builder(BatchSink.atomic((List<Integer> batch) -> {
      calls.add(List.copyOf(batch));
      int poison = batch.indexOf(37);
      if (poison < 0) {
        return BatchResult.success();
      }
      return BatchResult.builder(batch.size()).failedPermanently(poison, duplicate)
          .othersNotAttempted().build();
    })).name("pinpoint").maxBatchSize(100).maxDelay(Duration.ofSeconds(30)).build());

    List<CompletableFuture<Void>> fs = submitAll(b, 100);
    Throwable failure = failureOf(fs.get(37));
    assertThat(failure).isInstanceOfSatisfying(ItemWriteException.class, e -> {
      assertThat(e.attempts()).isEqualTo(1);
      assertThat(e.splits()).isZero();
    }).hasCause(duplicate);
    for (int i = 0; i < 100; i++) {
      if (i != 37) {
        assertThat(fs.get(i)).succeedsWithin(WAIT);
      }
    }
    assertThat(calls).hasSize(2); // the batch, then the 99 others at once
    assertThat(calls.get(1)).hasSize(99).doesNotContain(37);
    BatcherMetrics m = b.metrics();
    assertThat(m.bisections()).isZero();
    assertThat(m.retries()).isZero();
    assertThat(m.succeeded()).isEqualTo(99);
    assertThat(m.failed()).isEqualTo(1);
  }

  @Test
  void notAttempted_doesNotCountAsAnAttempt() {
    // Each call fails item 0 retryably and leaves the others not attempted, until item 0 has
    // used its attempts; an item resent ten times must still have all of its own attempts.
    List<List<Integer>> calls = new CopyOnWriteArrayList<>();
    IOException busy = new IOException("row locked");
    Batcher<Integer> b = track(Batcher.builder(BatchSink.atomic((List<Integer> batch) -> {
      calls.add(List.copyOf(batch));
      int zero = batch.indexOf(0);
      if (zero >= 0) {
        return BatchResult.builder(batch.size()).failedRetryably(zero, busy)
            .othersNotAttempted().build();
      }
      throw busy; // the others fail on their own from here on: they get every attempt
    })).name("attempts").maxBatchSize(3).maxDelay(Duration.ofSeconds(30))
        .retryPolicy(TestSupport.fixedBackoff(3, Duration.ofMillis(1))).build());

    List<CompletableFuture<Void>> fs = submitAll(b, 3);
    assertThat(failureOf(fs.get(0))).isInstanceOfSatisfying(ItemWriteException.class,
        e -> assertThat(e.attempts()).isEqualTo(3));
    Throwable other = failureOf(fs.get(1));
    assertThat(other).isInstanceOfSatisfying(ItemWriteException.class,
        e -> assertThat(e.attempts()).as("resends are not attempts").isEqualTo(3));
  }

  @Test
  void everyItemNotAttempted_isABrokenContract() {
    Batcher<Integer> b = track(Batcher.builder((List<Integer> batch) ->
        BatchResult.builder(batch.size()).othersNotAttempted().build())
        .name("loop").maxBatchSize(4).maxDelay(Duration.ofSeconds(30)).build());
    List<CompletableFuture<Void>> fs = submitAll(b, 4);
    assertThat(failureOf(fs.get(0))).isInstanceOf(ItemWriteException.class)
        .cause().isInstanceOf(IllegalStateException.class)
        .hasMessage("BatchSink.write marked every item of a batch of 4 NOT_ATTEMPTED; mark the "
            + "item that failed, or throw");
  }

  @Test
  void batchFailed_isNeverSplit_andFailsEveryItemWithItsCause() {
    List<Integer> sizes = new CopyOnWriteArrayList<>();
    IllegalStateException missing = new IllegalStateException("relation \"likes\" does not exist");
    Batcher<Integer> b = track(Batcher.builder(BatchSink.atomic((List<Integer> batch) -> {
      sizes.add(batch.size());
      return BatchResult.batchFailed(missing);
    })).name("missing").maxBatchSize(64).maxDelay(Duration.ofSeconds(30))
        .retryPolicy(RetryPolicy.builder().retryOn(t -> false).build()).build());

    List<CompletableFuture<Void>> fs = submitAll(b, 64);
    for (CompletableFuture<Void> f : fs) {
      assertThat(failureOf(f)).isInstanceOf(ItemWriteException.class).hasCause(missing);
    }
    assertThat(sizes).containsExactly(64); // one call: no halves
    assertThat(b.metrics().bisections()).isZero();
  }

  @Test
  void batchFailed_retryable_isRetriedWholeThenGivenUpWithoutSplitting() {
    List<Integer> sizes = new CopyOnWriteArrayList<>();
    IOException down = new IOException("connection refused");
    Batcher<Integer> b = track(Batcher.builder(BatchSink.atomic((List<Integer> batch) -> {
      sizes.add(batch.size());
      return BatchResult.batchFailed(down);
    })).name("down").maxBatchSize(8).maxDelay(Duration.ofSeconds(30))
        .retryPolicy(TestSupport.fixedBackoff(3, Duration.ofMillis(1))).build());

    List<CompletableFuture<Void>> fs = submitAll(b, 8);
    for (CompletableFuture<Void> f : fs) {
      assertThat(failureOf(f)).isInstanceOfSatisfying(ItemWriteException.class,
          e -> assertThat(e.attempts()).isEqualTo(3)).hasCause(down);
    }
    assertThat(sizes).containsExactly(8, 8, 8);
    assertThat(b.metrics().bisections()).isZero();
  }
}
