package dev.batcher;

import static org.assertj.core.api.Assertions.assertThat;
import static dev.batcher.TestSupport.failureOf;
import static org.awaitility.Awaitility.await;

import dev.batcher.testing.RecordingSink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** What each overflow policy does with an item that finds the queue full. */
class OverflowTest extends BatcherTestSupport {
  @Test
  void overflowFail_refusesAtOnceAndCounts() {
    RecordingSink<Integer> sink = RecordingSink.gated();
    Batcher<Integer> b = track(Batcher.builder(sink).name("shed").maxBatchSize(2).queueCapacity(4)
        .overflow(OverflowPolicy.FAIL).build());
    List<CompletableFuture<Void>> accepted = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      accepted.add(b.submit(i));
    }
    Throwable t = failureOf(b.submit(99));
    assertThat(t).isInstanceOf(RejectedItemException.class)
        .hasMessage("batcher 'shed' refused the item (QUEUE_FULL): the queue is full "
            + "(queueCapacity 4, overflow FAIL)");
    assertThat(b.offer(100)).isFalse();
    BatcherMetrics m = b.metrics();
    assertThat(m.refused()).containsEntry(RefusalReason.QUEUE_FULL, 2L);
    assertThat(m.pending()).isEqualTo(4);
    sink.openForever();
    CompletableFuture.allOf(accepted.toArray(new CompletableFuture<?>[0])).join();
    assertThat(sink.allItems()).containsExactly(0, 1, 2, 3);
  }

  /**
   * Weights whose total would pass Long.MAX_VALUE are past any queueCapacityWeight: the queue is
   * full by weight, never an overflow into a small total that lets everything in. Both the
   * compare-and-set path (huge weights) and the add path (a small weight on a nearly full total).
   */
  @Test
  void overflowFail_totalWeightPastLongMax_isRefusedAsQueueFull() {
    RecordingSink<Long> sink = RecordingSink.gated();
    Batcher<Long> b = track(Batcher.builder(sink).name("huge").weigher(x -> x)
        .queueCapacityWeight(Long.MAX_VALUE).overflow(OverflowPolicy.FAIL).build());
    long big = Long.MAX_VALUE / 2 + 10;
    CompletableFuture<Void> first = b.submit(big); // held by the gated sink: still accepted
    Throwable t = failureOf(b.submit(big));
    assertThat(t).isInstanceOfSatisfying(RejectedItemException.class,
        e -> assertThat(e.reason()).isEqualTo(RefusalReason.QUEUE_FULL));
    assertThat(b.offer(big)).isFalse();
    long rest = Long.MAX_VALUE - big;
    CompletableFuture<Void> nearlyFull = b.submit(rest); // fits exactly: the total is MAX_VALUE
    assertThat(b.offer(1L)).as("a small weight past Long.MAX_VALUE").isFalse();
    assertThat(b.metrics().refused()).containsEntry(RefusalReason.QUEUE_FULL, 3L);
    assertThat(b.metrics().pending()).isEqualTo(2);
    sink.openForever();
    assertThat(first).succeedsWithin(Duration.ofSeconds(5));
    assertThat(nearlyFull).succeedsWithin(Duration.ofSeconds(5));
    assertThat(sink.allItems()).containsExactly(big, rest);
  }

  @Test
  void overflowBlock_waitsForRoom() throws Exception {
    RecordingSink<Integer> sink = RecordingSink.gated();
    Batcher<Integer> b = track(Batcher.builder(sink).maxBatchSize(1).queueCapacity(2).build());
    b.submit(1);
    b.submit(2);
    AtomicReference<CompletableFuture<Void>> third = new AtomicReference<>();
    Thread producer = new Thread(() -> third.set(b.submit(3)));
    producer.start();
    await().until(() -> producer.getState() == Thread.State.TIMED_WAITING
        || producer.getState() == Thread.State.WAITING);
    assertThat(third.get()).isNull();
    sink.openForever();
    producer.join(10_000);
    third.get().join();
    assertThat(sink.allItems()).containsExactly(1, 2, 3);
  }

  @Test
  void overflowBlock_refusesAfterBlockTimeout() throws Exception {
    RecordingSink<Integer> sink = RecordingSink.gated();
    Batcher<Integer> b = track(Batcher.builder(sink).name("bp").maxBatchSize(1).queueCapacity(1)
        .blockTimeout(Duration.ofSeconds(2)).timeSource(clock).build());
    b.submit(1);
    AtomicReference<CompletableFuture<Void>> second = new AtomicReference<>();
    Thread producer = new Thread(() -> second.set(b.submit(2)));
    producer.start();
    await().until(() -> producer.getState() == Thread.State.TIMED_WAITING);
    clock.advance(Duration.ofSeconds(2));
    producer.join(10_000);
    Throwable t = failureOf(second.get());
    assertThat(t).hasMessage("batcher 'bp' refused the item (BLOCK_TIMEOUT): the queue stayed "
        + "full for blockTimeout PT2S");
    assertThat(b.metrics().refused()).containsEntry(RefusalReason.BLOCK_TIMEOUT, 1L);
    sink.openForever();
  }

  @Test
  void overflowBlock_interruptedProducerIsRefused() throws Exception {
    RecordingSink<Integer> sink = RecordingSink.gated();
    Batcher<Integer> b = track(Batcher.builder(sink).maxBatchSize(1).queueCapacity(1).build());
    b.submit(1);
    AtomicReference<CompletableFuture<Void>> second = new AtomicReference<>();
    AtomicReference<Boolean> stillInterrupted = new AtomicReference<>();
    Thread producer = new Thread(() -> {
      second.set(b.submit(2));
      stillInterrupted.set(Thread.currentThread().isInterrupted());
    });
    producer.start();
    await().until(() -> producer.getState() == Thread.State.TIMED_WAITING);
    producer.interrupt();
    producer.join(10_000);
    assertThat(((RejectedItemException) failureOf(second.get())).reason())
        .isEqualTo(RefusalReason.INTERRUPTED);
    assertThat(stillInterrupted.get()).isTrue();
    sink.openForever();
  }

  @Test
  void overflowBlock_offerNeverBlocks() {
    RecordingSink<Integer> sink = RecordingSink.gated();
    Batcher<Integer> b = track(Batcher.builder(sink).maxBatchSize(1).queueCapacity(1).build());
    assertThat(b.offer(1)).isTrue();
    assertThat(b.offer(2)).isFalse();
    assertThat(b.metrics().refused()).containsEntry(RefusalReason.QUEUE_FULL, 1L);
    sink.openForever();
  }

  @Test
  void overflowDropOldest_evictsTheOldestWaitingItem() {
    RecordingSink<Integer> sink = RecordingSink.gated();
    Batcher<Integer> b = track(Batcher.builder(sink).name("drop").maxBatchSize(1).queueCapacity(3)
        .overflow(OverflowPolicy.DROP_OLDEST).build());
    CompletableFuture<Void> first = b.submit(1); // in flight, held by the gate
    await().until(() -> b.metrics().inFlightBatches() == 1);
    CompletableFuture<Void> second = b.submit(2);
    CompletableFuture<Void> third = b.submit(3);
    CompletableFuture<Void> fourth = b.submit(4); // evicts 2, the oldest waiting

    Throwable t = failureOf(second);
    assertThat(t).isInstanceOf(DroppedItemException.class);
    assertThat(((DroppedItemException) t).reason()).isEqualTo(DropReason.EVICTED);
    assertThat(b.metrics().dropped()).containsEntry(DropReason.EVICTED, 1L);

    sink.openForever();
    CompletableFuture.allOf(first, third, fourth).join();
    assertThat(sink.allItems()).containsExactly(1, 3, 4);
  }

  @Test
  void overflowDropOldest_refusesWhenAllCapacityIsInFlight() {
    RecordingSink<Integer> sink = RecordingSink.gated();
    Batcher<Integer> b = track(Batcher.builder(sink).maxBatchSize(2).queueCapacity(2)
        .maxDelay(LONG).maxDelayJitter(0).timeSource(clock).overflow(OverflowPolicy.DROP_OLDEST)
        .build());
    b.submit(1);
    b.submit(2); // fills the batch: both go out together, nothing is left waiting
    await().until(() -> b.metrics().inFlightBatches() == 1 && b.metrics().queueDepth() == 0);
    Throwable t = failureOf(b.submit(3));
    assertThat(((RejectedItemException) t).reason()).isEqualTo(RefusalReason.QUEUE_FULL);
    sink.openForever();
  }
}
