package dev.batcher.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.batcher.BatchResult;
import dev.batcher.BatchSink;
import dev.batcher.Batcher;
import dev.batcher.FlushCause;
import dev.batcher.testing.ManualTimeSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The batch former's decisions, driven through its seams. */
class BatchFormerTest {

  /**
   * A lingering batch counted full while its last producer is between its claim and its publish
   * (done here by hand on the intake): the former must wait for that slot and send the full batch
   * for SIZE, not the two published items for DELAY (leaving the third a whole maxDelay).
   */
  @Test
  void fullByCount_waitsForAClaimedSlot_insteadOfSendingTheBatchShort() throws Exception {
    ManualTimeSource clock = new ManualTimeSource();
    List<List<String>> batches = new CopyOnWriteArrayList<>();
    Batcher<String> b = Batcher.builder((BatchSink<String>) batch -> {
      batches.add(new ArrayList<>(batch));
      return BatchResult.success();
    }).name("claimed").maxBatchSize(3).maxDelay(Duration.ofHours(1)).maxDelayJitter(0)
        .deliveryTimeout(Duration.ofHours(2)).timeSource(clock).build();
    DefaultBatcher<String> d = (DefaultBatcher<String>) b;
    try {
      CompletableFuture<Void> fa = b.submit("a");
      CompletableFuture<Void> fb = b.submit("b");
      await().until(() -> clock.isParked("-flush-")); // the former delays the clock
      long ticket = d.intake().claim(); // producer c: claimed, preempted before its publish

      clock.advance(Duration.ofMillis(1)); // wakes the former: it counts three, a full batch
      await().until(() -> d.former().claimWaits() > 0 || !batches.isEmpty());
      assertThat(batches).as("nothing sent while the claimed slot is unpublished").isEmpty();

      Entry<String> c = new Entry<>("c", clock.nanoTime(), null);
      d.intake().publish(ticket, c); // producer c resumes
      await().until(() -> fa.isDone() && fb.isDone() && c.isDone());
      assertThat(batches).containsExactly(List.of("a", "b", "c"));
      assertThat(b.metrics().batches()).containsEntry(FlushCause.SIZE, 1L)
          .containsEntry(FlushCause.DELAY, 0L);
    } finally {
      b.close(Duration.ofSeconds(5));
    }
  }
}
