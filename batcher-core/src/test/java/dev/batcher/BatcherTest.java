package dev.batcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static dev.batcher.TestSupport.failureOf;
import static org.awaitility.Awaitility.await;

import dev.batcher.testing.ManualTimeSource;
import dev.batcher.testing.RecordingSink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The engine's behaviour: triggers, bounds, overflow, ordering, flush and close. */
class BatcherTest {
  private static final Duration LONG = Duration.ofSeconds(60);

  private final ManualTimeSource clock = new ManualTimeSource();
  private final List<Batcher<?>> open = new ArrayList<>();

  @AfterEach
  void closeAll() {
    open.forEach(b -> b.close(Duration.ofSeconds(5)));
  }

  private <T> Batcher<T> track(Batcher<T> b) {
    open.add(b);
    return b;
  }

  /** Waits until the batch former has gone back to waiting on the manual clock. */
  private void awaitLingering(long parksBefore) {
    await().until(() -> clock.parks("-flush-") > parksBefore && clock.isParked("-flush-"));
  }

  // ------------------------------------------------------------------------------- size trigger

  @Test
  void sizeTrigger_flushesExactlyAtMaxBatchSize() {
    RecordingSink<Integer> sink = new RecordingSink<>();
    Batcher<Integer> b = track(Batcher.builder(sink).name("size").maxBatchSize(10)
        .maxDelay(LONG).maxDelayJitter(0).timeSource(clock).build());

    for (int i = 0; i < 9; i++) {
      b.submit(i);
    }
    awaitLingering(0);
    assertThat(sink.batches).isEmpty();

    b.submit(9);
    await().until(() -> sink.batches.size() == 1);
    assertThat(sink.batches.get(0)).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    assertThat(b.metrics().batches()).containsEntry(FlushCause.SIZE, 1L);
  }

  @Test
  void sizeTrigger_neverExceedsMaxBatchSize() {
    RecordingSink<Integer> sink = RecordingSink.gated();
    Batcher<Integer> b = track(Batcher.builder(sink).maxBatchSize(7).queueCapacity(100).build());
    List<CompletableFuture<Void>> fs = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      fs.add(b.submit(i));
    }
    sink.openForever();
    CompletableFuture.allOf(fs.toArray(new CompletableFuture<?>[0])).join();
    assertThat(sink.sizes()).allMatch(s -> s <= 7);
    assertThat(sink.allItems()).containsExactlyElementsOf(IntStream.range(0, 50).boxed().toList());
  }

  // ----------------------------------------------------------------------------- weight trigger

  @Test
  void weightTrigger_flushesWhenTheNextItemWouldNotFit() {
    RecordingSink<Integer> sink = new RecordingSink<>();
    Batcher<Integer> b = track(Batcher.builder(sink).maxBatchSize(100).weigher(i -> i)
        .maxBatchWeight(10).maxDelay(LONG).maxDelayJitter(0).timeSource(clock).build());

    b.submit(3);
    b.submit(3);
    b.submit(3);
    awaitLingering(0);
    assertThat(sink.batches).isEmpty();

    b.submit(3); // 12 > 10: [3, 3, 3] goes, the last 3 waits for the next batch
    await().until(() -> sink.batches.size() == 1);
    assertThat(sink.batches.get(0)).containsExactly(3, 3, 3);
    assertThat(b.metrics().batches()).containsEntry(FlushCause.WEIGHT, 1L);

    b.submit(7); // 3 + 7 = 10: exactly at the bound
    await().until(() -> sink.batches.size() == 2);
    assertThat(sink.batches.get(1)).containsExactly(3, 7);
    assertThat(b.metrics().batches()).containsEntry(FlushCause.WEIGHT, 2L);
  }

  @Test
  void weightTrigger_itemHeavierThanMaxBatchWeight_isRefusedAtSubmit() {
    RecordingSink<Integer> sink = new RecordingSink<>();
    Batcher<Integer> b = track(Batcher.builder(sink).weigher(i -> i).maxBatchWeight(10).build());

    CompletableFuture<Void> heavy = b.submit(11); // a failed future, never a throw
    assertThat(failureOf(heavy)).isInstanceOfSatisfying(RejectedItemException.class,
        e -> assertThat(e.reason()).isEqualTo(RefusalReason.TOO_HEAVY))
        .hasMessage("batcher '" + b.name() + "' refused the item (TOO_HEAVY): the item weighs 11, "
            + "more than maxBatchWeight 10");
    assertThat(b.offer(12)).isFalse();
    assertThat(b.metrics().refused()).containsEntry(RefusalReason.TOO_HEAVY, 2L);
    assertThat(b.metrics().submitted()).isEqualTo(2);
    assertThat(b.metrics().pending()).isZero();
    assertThat(sink.batches).isEmpty();
  }

  @Test
  void weigher_negativeWeight_isRejectedAtSubmit() {
    Batcher<Integer> b = track(Batcher.builder(new RecordingSink<Integer>()).weigher(i -> i)
        .maxBatchWeight(10).build());
    assertThatThrownBy(() -> b.submit(-2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("weigher returned a negative weight for the item: -2");
  }

  @Test
  void queueCapacityWeight_boundsAcceptedWeight() {
    RecordingSink<Integer> sink = RecordingSink.gated();
    Batcher<Integer> b = track(Batcher.builder(sink).weigher(i -> i).maxBatchWeight(10)
        .queueCapacityWeight(20).overflow(OverflowPolicy.FAIL).build());
    assertThat(b.offer(10)).isTrue();
    assertThat(b.offer(10)).isTrue();
    Throwable t = failureOf(b.submit(1));
    assertThat(t).isInstanceOf(RejectedItemException.class);
    assertThat(((RejectedItemException) t).reason()).isEqualTo(RefusalReason.QUEUE_FULL);
    sink.openForever();
    await().until(() -> b.metrics().succeeded() == 2);
    assertThat(b.offer(5)).isTrue();
  }

  // ------------------------------------------------------------------------------- time trigger

  @Test
  void timeTrigger_flushesWhenTheOldestItemHasWaitedMaxDelay() {
    RecordingSink<String> sink = new RecordingSink<>();
    Batcher<String> b = track(Batcher.builder(sink).name("delay").maxBatchSize(100)
        .maxDelay(Duration.ofMillis(100)).maxDelayJitter(0).timeSource(clock).build());

    b.submit("a");
    awaitLingering(0);
    long parks = clock.parks("-flush-");
    clock.advance(Duration.ofMillis(60));
    awaitLingering(parks);
    b.submit("b"); // younger: does not restart the clock

    parks = clock.parks("-flush-");
    clock.advance(Duration.ofMillis(39));
    awaitLingering(parks);
    assertThat(sink.batches).isEmpty();

    clock.advance(Duration.ofMillis(1));
    await().until(() -> sink.batches.size() == 1);
    assertThat(sink.batches.get(0)).containsExactly("a", "b");
    assertThat(b.metrics().batches()).containsEntry(FlushCause.DELAY, 1L);
  }

  /**
   * Twenty batchers on one clock, maxDelay 100 ms and jitter 0.5: each linger must be drawn from
   * [100, 150) ms. The clock moves to 90 ms, then in 10 ms steps; the step in which a batch goes
   * out measures its linger to within a step. Ignoring the jitter sends every batch at 100 ms; a
   * fixed extra sends them all in one step; a jitter beyond its bound sends some after 150 ms.
   */
  @Test
  void maxDelayJitter_lengthensEachMaxDelayWithinItsBound() {
    int n = 20;
    ManualTimeSource time = new ManualTimeSource();
    List<RecordingSink<String>> sinks = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      RecordingSink<String> sink = new RecordingSink<>();
      sinks.add(sink);
      track(Batcher.builder(sink).name("j" + i + "x").maxDelay(Duration.ofMillis(100))
          .maxDelayJitter(0.5).timeSource(time).build()).submit("x");
    }
    await().pollInterval(Duration.ofMillis(5))
        .until(() -> IntStream.range(0, n).allMatch(i -> time.isParked("-j" + i + "x-flush")));

    long[] lingerMillis = new long[n];
    long elapsed = 0;
    for (long step : new long[] {90, 10, 10, 10, 10, 10, 10}) {
      long[] parks = IntStream.range(0, n).mapToLong(i -> time.parks("-j" + i + "x-flush"))
          .toArray();
      time.advance(Duration.ofMillis(step));
      elapsed += step;
      // Each former either sends its batch or parks again, having seen the clock move.
      await().pollInterval(Duration.ofMillis(5))
          .until(() -> IntStream.range(0, n).allMatch(i -> !sinks.get(i).batches.isEmpty()
              || (time.parks("-j" + i + "x-flush") > parks[i]
                  && time.isParked("-j" + i + "x-flush"))));
      for (int i = 0; i < n; i++) {
        if (lingerMillis[i] == 0 && !sinks.get(i).batches.isEmpty()) {
          lingerMillis[i] = elapsed;
        }
      }
    }

    List<Long> lingers = LongStream.of(lingerMillis).boxed().toList();
    assertThat(lingers).as("linger of each batcher, to the next 10 ms (0: not sent by 150)")
        .allMatch(ms -> ms >= 100 && ms <= 150)
        .anyMatch(ms -> ms > 100);
    assertThat(lingers.stream().distinct().count()).as("lingers spread over steps: %s", lingers)
        .isGreaterThan(1);
  }

  // -------------------------------------------------------------------------- natural batching

  @Test
  void naturalBatching_loneItemGoesOutAtOnce() {
    RecordingSink<String> sink = new RecordingSink<>();
    Batcher<String> b = track(Batcher.builder(sink).maxDelay(Duration.ZERO).timeSource(clock)
        .build());
    b.submit("alone").join(); // no clock advance needed
    assertThat(sink.batches).containsExactly(List.of("alone"));
  }

  @Test
  void naturalBatching_burstWhileSinkBusyFormsOneLargeBatch() {
    RecordingSink<Integer> sink = RecordingSink.gated();
    Batcher<Integer> b = track(Batcher.builder(sink).maxBatchSize(1000).build());
    b.submit(-1);
    await().until(() -> b.metrics().inFlightBatches() == 1);
    List<CompletableFuture<Void>> fs = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      fs.add(b.submit(i));
    }
    sink.openForever();
    CompletableFuture.allOf(fs.toArray(new CompletableFuture<?>[0])).join();
    assertThat(sink.sizes()).containsExactly(1, 500);
  }

  /**
   * A former that has not found the intake empty for a while (here: 1 ms in a sink call) is
   * saturated; natural batching then lets the next batch fill, once, for at most 50 us of real
   * time, instead of taking a sliver of it. The pause is real time whatever the time source: with
   * a manual clock that nobody advances, the batch still goes out (a maxDelay of zero never needs
   * the clock to move). Then the former finds the intake empty and is back to natural batching.
   */
  @Test
  void naturalBatching_saturatedFormer_pausesOnceInRealTime_evenIfTheClockStandsStill() {
    RecordingSink<Integer> sink = RecordingSink.gated();
    Batcher<Integer> b = track(Batcher.builder(sink).maxBatchSize(100).timeSource(clock).build());
    b.submit(0);
    await().until(() -> b.metrics().inFlightBatches() == 1);
    clock.advance(Duration.ofMillis(1)); // busy in the sink, never idle: saturated
    CompletableFuture<Void> one = b.submit(1);
    CompletableFuture<Void> two = b.submit(2);
    long parks = clock.parks("-flush-");
    sink.openForever();

    CompletableFuture.allOf(one, two).join(); // no clock advance
    assertThat(sink.batches).containsExactly(List.of(0), List.of(1, 2));
    assertThat(b.metrics().batches()).containsEntry(FlushCause.DELAY, 2L); // [0] and [1, 2]
    assertThat(clock.parks("-flush-")).as("the pause is not on the time source").isEqualTo(parks);

    b.submit(3).join();
    assertThat(sink.batches.get(2)).containsExactly(3);
  }

  @Test
  void naturalBatching_saturatedFormer_sendsAFullBatchBySize() {
    RecordingSink<Integer> sink = RecordingSink.gated();
    Batcher<Integer> b = track(Batcher.builder(sink).maxBatchSize(4).timeSource(clock).build());
    b.submit(0);
    await().until(() -> b.metrics().inFlightBatches() == 1);
    clock.advance(Duration.ofMillis(1));
    b.submit(1);
    b.submit(2);
    b.submit(3);
    b.submit(4);
    sink.openForever();
    b.flush().join();
    assertThat(sink.batches.get(1)).as("one full batch").containsExactly(1, 2, 3, 4);
    assertThat(b.metrics().batches()).containsEntry(FlushCause.SIZE, 1L);
  }

  /**
   * While the sole worker completes a batch's futures it shares its clock reading with the
   * producers, but not while a future's dependent runs (user code that may take its time): an
   * item submitted from such a callback, after the clock moved, is stamped with the new time.
   */
  @Test
  void settling_callbackOnTheWorker_doesNotStampLaterItemsWithAStaleReading() {
    RecordingSink<Integer> sink = RecordingSink.gated();
    Batcher<Integer> b = track(Batcher.builder(sink).maxDelay(Duration.ZERO).timeSource(clock)
        .build());
    CompletableFuture<CompletableFuture<Void>> fromCallback = new CompletableFuture<>();
    CompletableFuture<Void> first = b.submit(1);
    await().until(() -> b.metrics().inFlightBatches() == 1);
    first.thenRun(() -> { // registered before the sink returns: runs on the worker
      clock.advance(Duration.ofSeconds(1)); // a callback that takes a second
      fromCallback.complete(b.submit(2));
    });
    sink.openForever();
    first.join();
    fromCallback.join().join();

    await().until(() -> b.metrics().latency().count() == 2); // recorded once per batch
    Distribution latency = b.metrics().latency();
    assertThat(latency.max()).as("enqueue-to-completion of both items, clock moved only once")
        .isLessThan(Duration.ofSeconds(1).toNanos());
  }

  /**
   * The reading a settling worker shares is taken when settling starts, not when the sink
   * returned: a dead-letter handler (user code) runs in between. Here it takes a second, and an
   * item submitted while the first 64 futures complete must not be stamped a second early.
   */
  @Test
  void settling_startsWithAFreshReading_afterUserCodeRan() {
    AtomicReference<Thread> worker = new AtomicReference<>();
    AtomicBoolean armed = new AtomicBoolean();
    AtomicReference<Batcher<Integer>> self = new AtomicReference<>();
    CompletableFuture<CompletableFuture<Void>> meanwhile = new CompletableFuture<>();
    clock.onRead(() -> {
      if (Thread.currentThread() == worker.get() && armed.compareAndSet(true, false)) {
        meanwhile.complete(self.get().submit(-2)); // from the worker, while it settles
      }
    });
    RecordingSink<Integer> gate = RecordingSink.gated();
    Batcher<Integer> b = track(Batcher.builder((List<Integer> batch) -> {
      worker.set(Thread.currentThread());
      gate.write(batch);
      return batch.get(0) == 0
          ? BatchResult.builder(batch.size()).failedPermanently(0, new IllegalStateException("bad"))
              .build()
          : BatchResult.success();
    }).maxBatchSize(100).maxDelay(Duration.ZERO).timeSource(clock)
        .deadLetterHandler(letter -> {
          clock.advance(Duration.ofSeconds(1)); // a handler that takes a second
          armed.set(true);
        }).build());
    self.set(b);
    b.submit(-1);
    await().until(() -> b.metrics().inFlightBatches() == 1);
    List<CompletableFuture<Void>> batch = new ArrayList<>();
    for (int i = 0; i < 80; i++) {
      batch.add(b.submit(i));
    }
    gate.openForever();

    meanwhile.join().join();
    CompletableFuture.allOf(batch.subList(1, 80).toArray(new CompletableFuture<?>[0])).join();
    await().until(() -> b.metrics().latency().count() == 82);
    assertThat(b.metrics().latency().max())
        .as("enqueue-to-completion, the clock moved once, before the late item was submitted")
        .isLessThan(Duration.ofSeconds(1).toNanos());
  }

  // ---------------------------------------------------------------------------------- overflow

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

  // ---------------------------------------------------------------------- in flight and order

  @Test
  void maxInFlightBatches_boundsConcurrentSinkCalls() {
    AtomicInteger now = new AtomicInteger();
    AtomicInteger peak = new AtomicInteger();
    RecordingSink<Integer> gate = RecordingSink.gated();
    BatchSink<Integer> sink = batch -> {
      peak.accumulateAndGet(now.incrementAndGet(), Math::max);
      try {
        return gate.write(batch);
      } finally {
        now.decrementAndGet();
      }
    };
    Batcher<Integer> b = track(Batcher.builder(sink).name("par").maxBatchSize(2)
        .maxInFlightBatches(3).build());
    List<CompletableFuture<Void>> fs = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      fs.add(b.submit(i));
    }
    await().until(() -> now.get() == 3);
    assertThat(b.metrics().inFlightBatches()).isEqualTo(3);
    gate.openForever();
    CompletableFuture.allOf(fs.toArray(new CompletableFuture<?>[0])).join();
    assertThat(peak.get()).isEqualTo(3);
    assertThat(gate.allItems()).containsExactlyInAnyOrderElementsOf(
        IntStream.range(0, 40).boxed().toList());
  }

  @Test
  void oneInFlight_keepsAcceptanceOrderAcrossBatches() {
    RecordingSink<Integer> sink = new RecordingSink<>();
    Batcher<Integer> b = track(Batcher.builder(sink).maxBatchSize(13).build());
    for (int i = 0; i < 20_000; i++) {
      b.submit(i);
    }
    b.flush().join();
    assertThat(sink.allItems()).containsExactlyElementsOf(
        IntStream.range(0, 20_000).boxed().toList());
  }

  @Test
  void workerThreads_areNamedAfterTheBatcher() {
    AtomicReference<String> thread = new AtomicReference<>();
    Batcher<String> b = track(Batcher.builder((List<String> batch) -> {
      thread.set(Thread.currentThread().getName());
      return BatchResult.success();
    }).name("likes").build());
    b.submit("x").join();
    assertThat(thread.get()).isEqualTo("batcher-likes-flush-1");
    assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName)
        .contains("batcher-likes-monitor");
  }

  // ----------------------------------------------------------------------------- coalescing

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

  // -------------------------------------------------------------------------- results, errors

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

  // ----------------------------------------------------------------------- delivery timeout

  @Test
  void deliveryTimeout_abandonsAHungSinkCallAndGoesOn() {
    RecordingSink<String> sink = RecordingSink.gated();
    Batcher<String> b = track(Batcher.builder(sink).name("hang").maxBatchSize(1)
        .deliveryTimeout(Duration.ofSeconds(30)).timeSource(clock).build());
    CompletableFuture<Void> hung = b.submit("hung");
    await().until(() -> b.metrics().inFlightBatches() == 1);
    CompletableFuture<Void> waiting = b.submit("waiting");
    await().until(() -> clock.isParked("-monitor"));

    clock.advance(Duration.ofSeconds(30));
    Throwable t = failureOf(hung);
    assertThat(((DroppedItemException) t).reason()).isEqualTo(DropReason.DELIVERY_TIMEOUT);
    assertThat(t.getMessage()).contains("may still have been written");
    await().until(waiting::isDone);
    assertThat(((DroppedItemException) failureOf(waiting)).reason())
        .isEqualTo(DropReason.DELIVERY_TIMEOUT);

    sink.openForever(); // the hung call was interrupted; a fresh worker takes the next item
    b.submit("after").join();
    assertThat(sink.allItems()).contains("after");
    assertThat(b.metrics().dropped()).containsEntry(DropReason.DELIVERY_TIMEOUT, 2L);
    assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName)
        .contains("batcher-hang-flush-2");
  }

  @Test
  void deliveryTimeout_failsEveryFutureWithinIt() {
    RecordingSink<Integer> sink = RecordingSink.gated();
    Batcher<Integer> b = track(Batcher.builder(sink).maxBatchSize(4).queueCapacity(64)
        .maxInFlightBatches(2).deliveryTimeout(Duration.ofSeconds(10)).timeSource(clock).build());
    List<CompletableFuture<Void>> early = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      early.add(b.submit(i));
    }
    await().until(() -> clock.isParked("-monitor"));
    clock.advance(Duration.ofSeconds(5));
    List<CompletableFuture<Void>> late = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      late.add(b.submit(100 + i));
    }
    clock.advance(Duration.ofSeconds(5)); // the early ones reach their timeout
    await().until(() -> early.stream().allMatch(CompletableFuture::isDone));
    assertThat(late).noneMatch(CompletableFuture::isDone);
    clock.advance(Duration.ofSeconds(5));
    await().until(() -> late.stream().allMatch(CompletableFuture::isDone));
    BatcherMetrics m = b.metrics();
    assertThat(m.dropped()).containsEntry(DropReason.DELIVERY_TIMEOUT, 25L);
    assertThat(m.pending()).isZero();
    sink.openForever();
  }

  // ------------------------------------------------------------------------------ flush, close

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

  // ----------------------------------------------------------------------- metrics, listener

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

  // ---------------------------------------------------------------------------- async sink

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
