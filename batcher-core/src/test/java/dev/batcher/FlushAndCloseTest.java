package dev.batcher;

import static org.assertj.core.api.Assertions.assertThat;
import static dev.batcher.TestSupport.failureOf;
import static org.awaitility.Awaitility.await;

import dev.batcher.testing.RecordingSink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** flush() and close(): draining, timeouts, idempotence, closing from a callback or under load. */
class FlushAndCloseTest extends BatcherTestSupport {
  @Test
  void flush_sendsWaitingItemsWithoutLingering() {
    RecordingSink<String> sink = new RecordingSink<>();
    Batcher<String> b = track(Batcher.builder(sink).maxDelay(LONG).timeSource(clock).build());
    List<CompletableFuture<Void>> fs = List.of(b.submit("a"), b.submit("b"));
    b.flush().join();
    assertThat(fs).allMatch(CompletableFuture::isDone);
    assertThat(sink.batches).containsExactly(List.of("a", "b"));
    assertThat(b.metrics().batches()).containsEntry(FlushCause.FLUSH, 1L);
  }

  @Test
  void flush_withNothingWaiting_completesAtOnce() {
    Batcher<String> b = track(Batcher.create(batch -> BatchResult.success()));
    assertThat(b.flush()).succeedsWithin(Duration.ofSeconds(5));
  }

  @Test
  void flush_waitsForItemsInFlight() {
    RecordingSink<String> sink = RecordingSink.gated();
    Batcher<String> b = track(Batcher.builder(sink).build());
    b.submit("x");
    await().until(() -> b.metrics().inFlightBatches() == 1);
    CompletableFuture<Void> flushed = b.flush();
    assertThat(flushed).isNotDone();
    sink.openForever();
    assertThat(flushed).succeedsWithin(Duration.ofSeconds(5));
  }

  @Test
  void close_drainsEverythingAccepted() {
    RecordingSink<Integer> sink = new RecordingSink<>();
    Batcher<Integer> b = Batcher.builder(sink).maxBatchSize(3).maxDelay(LONG).timeSource(clock)
        .build();
    List<CompletableFuture<Void>> fs = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      fs.add(b.submit(i));
    }
    b.close();
    assertThat(fs).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
    assertThat(sink.allItems()).hasSize(10);
    assertThat(b.metrics().batches().get(FlushCause.CLOSE)).isPositive();
    assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName)
        .noneMatch(n -> n.startsWith("batcher-" + b.name() + "-flush"));
  }

  @Test
  void close_isIdempotentAndRefusesLaterItems() {
    Batcher<String> b = Batcher.builder((List<String> batch) -> BatchResult.success())
        .name("done").build();
    b.close();
    b.close();
    assertThat(b.close(Duration.ZERO)).isTrue();
    Throwable t = failureOf(b.submit("late"));
    assertThat(t).hasMessage("batcher 'done' refused the item (CLOSED): the batcher is closed");
    assertThat(b.offer("later")).isFalse();
    assertThat(b.metrics().refused()).containsEntry(RefusalReason.CLOSED, 2L);
  }

  @Test
  void closeWithTimeout_dropsWhatIsLeftAndReturnsFalse() {
    RecordingSink<String> sink = RecordingSink.gated();
    Batcher<String> b = Batcher.builder(sink).maxBatchSize(1).build();
    CompletableFuture<Void> inFlight = b.submit("stuck");
    await().until(() -> b.metrics().inFlightBatches() == 1);
    CompletableFuture<Void> queued = b.submit("queued");

    assertThat(b.close(Duration.ofMillis(100))).isFalse();
    assertThat(((DroppedItemException) failureOf(inFlight)).reason())
        .isEqualTo(DropReason.CLOSE_TIMEOUT);
    assertThat(((DroppedItemException) failureOf(queued)).reason())
        .isEqualTo(DropReason.CLOSE_TIMEOUT);
    assertThat(b.metrics().pending()).isZero();
    assertThat(b.close(Duration.ofSeconds(1))).isFalse();
  }

  @Test
  void close_fromACallbackOnTheWorker_doesNotDeadlock() {
    RecordingSink<String> sink = new RecordingSink<>();
    Batcher<String> b = Batcher.builder(sink).build();
    CompletableFuture<Void> second = new CompletableFuture<>();
    b.submit("first").thenRun(() -> {
      second.complete(null);
      b.close(); // runs on the worker thread
    });
    assertThat(second).succeedsWithin(Duration.ofSeconds(5));
    assertThat(b.close(Duration.ofSeconds(5))).isTrue();
    assertThat(sink.allItems()).containsExactly("first");
  }

  /**
   * close(Duration) from a callback starts closing and returns at once; an item still pending is
   * not dropped, so the answer is true ("false only if items were dropped"), and the item is then
   * written.
   */
  @Test
  void closeWithTimeout_fromACallbackWhileAnotherItemIsPending_returnsTrue() {
    RecordingSink<String> sink = RecordingSink.gated();
    Batcher<String> b = track(Batcher.builder(sink).name("cb").maxBatchSize(1).build());
    CompletableFuture<Boolean> answer = new CompletableFuture<>();
    CompletableFuture<Void> first = b.submit("first");
    first.thenRun(() -> answer.complete(b.close(Duration.ofSeconds(5)))); // on the worker
    CompletableFuture<Void> pending = b.submit("pending");
    await().until(() -> b.metrics().inFlightBatches() == 1);
    sink.openForever();

    assertThat(answer).succeedsWithin(Duration.ofSeconds(5)).isEqualTo(true);
    assertThat(pending).succeedsWithin(Duration.ofSeconds(5));
    assertThat(sink.allItems()).containsExactly("first", "pending");
    assertThat(b.metrics().totalDropped()).isZero();
    assertThat(b.close(Duration.ofSeconds(5))).isTrue();
  }

  @Test
  void close_concurrentWithProducers_losesNothing() throws Exception {
    for (int round = 0; round < 20; round++) {
      RecordingSink<Integer> sink = new RecordingSink<>();
      Batcher<Integer> b = Batcher.builder(sink).maxBatchSize(16).queueCapacity(64).build();
      java.util.Queue<CompletableFuture<Void>> fs = new java.util.concurrent.ConcurrentLinkedQueue<>();
      List<Thread> producers = new ArrayList<>();
      for (int p = 0; p < 4; p++) {
        int base = p * 1_000_000;
        Thread t = new Thread(() -> {
          for (int i = 0; i < 2_000; i++) {
            fs.add(b.submit(base + i));
          }
        });
        producers.add(t);
        t.start();
      }
      b.close();
      for (Thread t : producers) {
        t.join();
      }
      long written = fs.stream().filter(f -> !f.isCompletedExceptionally()).count();
      assertThat(fs).allMatch(CompletableFuture::isDone);
      assertThat(sink.allItems()).hasSize((int) written);
      BatcherMetrics m = b.metrics();
      assertThat(m.succeeded() + m.totalRefused()).isEqualTo(m.submitted()).isEqualTo(8_000);
    }
  }
}
