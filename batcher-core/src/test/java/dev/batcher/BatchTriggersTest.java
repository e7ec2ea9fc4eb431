package dev.batcher;

import static org.assertj.core.api.Assertions.assertThat;
import static dev.batcher.TestSupport.failureOf;
import static org.awaitility.Awaitility.await;

import dev.batcher.testing.ManualTimeSource;
import dev.batcher.testing.RecordingSink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** When a batch goes out: the size, weight and time triggers, and the jitter on maxDelay. */
class BatchTriggersTest extends BatcherTestSupport {

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
  void weigher_negativeWeight_refusesTheItemAsWeigherFailed() {
    Batcher<Integer> b = track(Batcher.builder(new RecordingSink<Integer>()).name("neg")
        .weigher(i -> i).maxBatchWeight(10).build());
    assertThat(failureOf(b.submit(-2))).isInstanceOfSatisfying(RejectedItemException.class,
        e -> assertThat(e.reason()).isEqualTo(RefusalReason.WEIGHER_FAILED))
        .hasMessage("batcher 'neg' refused the item (WEIGHER_FAILED): the weigher returned a "
            + "negative weight for the item: -2");
    assertThat(b.offer(-1)).isFalse();
    assertThat(b.metrics().refused()).containsEntry(RefusalReason.WEIGHER_FAILED, 2L);
    assertThat(b.metrics().submitted()).isEqualTo(2);
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
}
