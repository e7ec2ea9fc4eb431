package dev.batcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.batcher.testing.RecordingSink;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The bound on concurrent sink calls, acceptance order, and the worker threads' names. */
class InFlightTest extends BatcherTestSupport {
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
}
