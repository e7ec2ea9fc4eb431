package dev.batcher.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.batcher.BatchResult;
import dev.batcher.BatchSink;
import dev.batcher.Batcher;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** What an entry keeps once it has ended: nothing a held future must not keep alive. */
class EntryTest {

  @Test
  void endedEntry_forgetsItsItemAndItsFlushEpoch() {
    try (Batcher<String> b = Batcher.builder((BatchSink<String>) batch -> BatchResult.success())
        .build()) {
      b.flush().join(); // an epoch chain exists from here on
      CompletableFuture<Void> f = b.submit("x");
      assertThat(f).succeedsWithin(Duration.ofSeconds(5));
      b.flush().join();
      Entry<?> e = (Entry<?>) f;
      await().until(() -> e.item == null && e.epoch == null);
    }
  }

  @Test
  void endedEntryWithMergedItems_forgetsTheirFutures() {
    try (Batcher<String> b = Batcher.builder((BatchSink<String>) batch -> BatchResult.success())
        .maxDelay(Duration.ofSeconds(10)).coalesce(s -> "key", (x, y) -> x + y).build()) {
      CompletableFuture<Void> first = b.submit("k");
      CompletableFuture<Void> merged = b.submit("k"); // waits under a 10 s delay: merged
      b.flush();
      assertThat(merged).succeedsWithin(Duration.ofSeconds(5));
      assertThat(first).succeedsWithin(Duration.ofSeconds(5));
      Entry<?> e = (Entry<?>) first;
      // The settlement forgets right after it completes the futures: moments later.
      await().until(() -> e.item == null);
      assertThat(e.mayRunCallbacks()).as("no merged futures kept").isFalse();
      assertThat(b.metrics().batchSize().max()).as("one entry for both items").isEqualTo(1);
    }
  }
}
