package dev.batcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.testing.RecordingSink;
import dev.batcher.testing.Stress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * "A batch goes out as soon as it has maxBatchSize items": a full batch is never sent short, not
 * even when the former looks while the last producer is between its claim and its publish.
 */
class FullBatchTest {

  /**
   * Rounds of the looped test, per overflow policy; {@code -Dbatcher.stress.scale=10} runs ten
   * times as many. With the defect put back (the former not waiting for a counted claim), a short
   * batch showed up once in some 10,000 to 75,000 rounds on a 2-core machine: 10,000 caught it
   * about half the time, 100,000 in 5 runs of 5 (BLOCK and FAIL each). A round takes some 40 µs,
   * so both loops take about 8 s.
   */
  private static final int ROUNDS = 100_000 * Stress.scale();

  /**
   * The reproduction: one thread submits three items to a batcher with maxBatchSize 3 and
   * a one-hour delay, and waits for them, over and over. Every round must be one batch of three
   * sent for SIZE; a batch of two sent for DELAY would leave the third waiting the hour. BLOCK
   * and FAIL claim through the lock-free ring (DROP_OLDEST uses the locked intake); the rounds
   * are split between them, so the whole test runs as long as one loop did.
   */
  @ParameterizedTest
  @EnumSource(value = OverflowPolicy.class, names = {"BLOCK", "FAIL"})
  void fullBatch_isNeverSentShort_looped(OverflowPolicy overflow) throws Exception {
    RecordingSink<Integer> sink = new RecordingSink<>();
    try (Batcher<Integer> b = Batcher.builder(sink).name("full-" + overflow).maxBatchSize(3)
        .overflow(overflow)
        .maxDelay(Duration.ofHours(1)).maxDelayJitter(0).deliveryTimeout(Duration.ofHours(2))
        .build()) {
      for (int round = 0; round < ROUNDS; round++) {
        int base = round * 3;
        List<CompletableFuture<Void>> fs = List.of(b.submit(base), b.submit(base + 1),
            b.submit(base + 2));
        for (CompletableFuture<Void> f : fs) {
          try {
            f.get(10, TimeUnit.SECONDS); // a short batch would leave the third waiting an hour
          } catch (TimeoutException e) {
            throw new AssertionError("round " + round + ": an item waited for the delay; last "
                + "batches " + lastOf(sink.batches) + ", " + b.metrics().batches(), e);
          }
        }
      }
      assertThat(sink.sizes()).as("batch sizes").allMatch(s -> s == 3);
      BatcherMetrics m = b.metrics();
      assertThat(m.batches()).containsEntry(FlushCause.SIZE, (long) ROUNDS)
          .containsEntry(FlushCause.DELAY, 0L);
    }
  }

  private static <T> List<T> lastOf(List<T> list) {
    return list.subList(Math.max(0, list.size() - 3), list.size());
  }
}
