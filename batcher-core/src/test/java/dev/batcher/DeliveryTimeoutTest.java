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

/** The delivery timeout: a sink call that hangs is abandoned and its items dropped. */
class DeliveryTimeoutTest extends BatcherTestSupport {
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
}
