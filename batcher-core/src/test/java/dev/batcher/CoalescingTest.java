package dev.batcher;

import static org.assertj.core.api.Assertions.assertThat;
import static dev.batcher.TestSupport.failureOf;
import static org.awaitility.Awaitility.await;

import dev.batcher.testing.RecordingSink;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Coalescing: waiting items with equal keys are merged into one. */
class CoalescingTest extends BatcherTestSupport {
  record Like(String post, long count) {}

  @Test
  void coalesce_mergesEqualKeysWhileTheyWait() {
    RecordingSink<Like> sink = RecordingSink.gated();
    Batcher<Like> b = track(Batcher.builder(sink).maxBatchSize(100).queueCapacity(100)
        .coalesce(Like::post, (x, y) -> new Like(x.post(), x.count() + y.count())).build());
    CompletableFuture<Void> first = b.submit(new Like("warmup", 1));
    await().until(() -> b.metrics().inFlightBatches() == 1);

    List<CompletableFuture<Void>> fs = new ArrayList<>();
    for (int i = 0; i < 100_000; i++) {
      fs.add(b.submit(new Like(i % 10 == 0 ? "other" : "celebrity", 1)));
    }
    assertThat(b.metrics().queueDepth()).isEqualTo(2); // distinct keys
    sink.openForever();
    CompletableFuture.allOf(fs.toArray(new CompletableFuture<?>[0])).join();
    first.join();
    assertThat(sink.batches).hasSize(2);
    assertThat(sink.batches.get(1)).containsExactly(new Like("other", 10_000),
        new Like("celebrity", 90_000)); // in order of each key's first arrival
    BatcherMetrics m = b.metrics();
    assertThat(m.submitted()).isEqualTo(100_001);
    assertThat(m.succeeded()).isEqualTo(100_001);
  }

  @Test
  void coalesce_capacityCountsDistinctKeys() {
    RecordingSink<Like> sink = RecordingSink.gated();
    Batcher<Like> b = track(Batcher.builder(sink).maxBatchSize(1).queueCapacity(2)
        .overflow(OverflowPolicy.FAIL)
        .coalesce(Like::post, (x, y) -> new Like(x.post(), x.count() + y.count())).build());
    b.submit(new Like("a", 1));
    await().until(() -> b.metrics().inFlightBatches() == 1);
    for (int i = 0; i < 1000; i++) {
      assertThat(b.offer(new Like("b", 1))).isTrue(); // one key: one slot
    }
    assertThat(b.offer(new Like("c", 1))).isFalse();
    sink.openForever();
    b.flush().join();
    assertThat(sink.allItems()).containsExactly(new Like("a", 1), new Like("b", 1000));
  }

  @Test
  void coalesce_itemInFlightIsNotMergedInto() {
    RecordingSink<Like> sink = RecordingSink.gated();
    Batcher<Like> b = track(Batcher.builder(sink)
        .coalesce(Like::post, (x, y) -> new Like(x.post(), x.count() + y.count())).build());
    b.submit(new Like("p", 1));
    await().until(() -> b.metrics().inFlightBatches() == 1);
    b.submit(new Like("p", 1));
    b.submit(new Like("p", 1));
    sink.openForever();
    b.flush().join();
    assertThat(sink.allItems()).containsExactly(new Like("p", 1), new Like("p", 2));
  }

  @Test
  void coalesce_nullKeyIsNotMerged() {
    RecordingSink<Like> sink = RecordingSink.gated();
    Batcher<Like> b = track(Batcher.builder(sink).coalesce(l -> null, (x, y) -> x).build());
    b.submit(new Like("p", 1));
    b.submit(new Like("p", 1));
    sink.openForever();
    b.flush().join();
    assertThat(sink.allItems()).hasSize(2);
  }

  @Test
  void coalesce_mergeThatThrows_refusesTheIncomingItem() {
    RecordingSink<Like> sink = RecordingSink.gated();
    Batcher<Like> b = track(Batcher.builder(sink).maxBatchSize(1).coalesce(Like::post, (x, y) -> {
      throw new IllegalStateException("cannot merge");
    }).build());
    b.submit(new Like("a", 1));
    await().until(() -> b.metrics().inFlightBatches() == 1);
    CompletableFuture<Void> waiting = b.submit(new Like("b", 1));
    Throwable t = failureOf(b.submit(new Like("b", 2)));
    assertThat(((RejectedItemException) t).reason()).isEqualTo(RefusalReason.MERGE_FAILED);
    assertThat(t.getCause()).hasMessage("cannot merge");
    sink.openForever();
    waiting.join();
    assertThat(sink.allItems()).containsExactly(new Like("a", 1), new Like("b", 1));
  }

  /**
   * An ItemWriteException allows suppression (it carries a dead-letter handler's failure): items
   * merged into one entry must each get their own, or one caller's addSuppressed would show up
   * on every other caller's exception.
   */
  @Test
  void coalesce_mergedItemsThatFail_eachGetTheirOwnException() {
    IllegalStateException cause = new IllegalStateException("constraint violated");
    RecordingSink<Like> sink = new RecordingSink<>(batch -> BatchResult.batchFailed(cause), 0);
    Batcher<Like> b = track(Batcher.builder(sink).name("likes").maxBatchSize(1).retryPolicy(RetryPolicy.none())
        .coalesce(Like::post, (x, y) -> new Like(x.post(), x.count() + y.count())).build());
    b.submit(new Like("a", 1));
    await().until(() -> b.metrics().inFlightBatches() == 1);
    List<CompletableFuture<Void>> merged = List.of(b.submit(new Like("b", 1)),
        b.submit(new Like("b", 1)), b.submit(new Like("b", 1)));
    sink.openForever();

    List<Throwable> errors = new ArrayList<>();
    for (CompletableFuture<Void> f : merged) {
      errors.add(failureOf(f));
    }
    errors.get(0).addSuppressed(new RuntimeException("the first caller's own note"));
    assertThat(errors).allSatisfy(e -> assertThat(e).isInstanceOf(ItemWriteException.class)
        .hasCause(cause)
        .hasMessage("batcher 'likes' could not write the item after 1 attempt: " + cause));
    assertThat(errors).doesNotHaveDuplicates();
    assertThat(errors.get(1).getSuppressed()).isEmpty();
    assertThat(errors.get(2).getSuppressed()).isEmpty();
    assertThat(b.metrics().failed()).isEqualTo(4);
  }
}
