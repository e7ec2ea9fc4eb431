package dev.batcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.batcher.testing.RecordingSink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Natural batching (a maxDelay of zero) and the clock reading a settling worker shares. */
class NaturalBatchingTest extends BatcherTestSupport {
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
}
