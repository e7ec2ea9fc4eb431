package dev.batcher.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.batcher.BatchResult;
import dev.batcher.BatchSink;
import dev.batcher.Batcher;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/** Races between the intake, close(Duration) and the monitor, found in review. */
class AbortAndAbandonRacesTest {

  /**
   * Producer A claims its slot and is preempted before publishing (done here by hand). Producer
   * B publishes behind A and returns. close(Duration) gives up without seeing either; when A
   * resumes and publishes, the monitor must drop both, so that every accepted item ends.
   */
  @Test
  @SuppressWarnings("unchecked")
  void abort_endsEntriesPublishedBehindAnUnpublishedClaim() throws Exception {
    Batcher<Integer> b = Batcher.builder((BatchSink<Integer>) batch -> BatchResult.success())
        .build();
    DefaultBatcher<Integer> d = (DefaultBatcher<Integer>) b;
    Intake<Integer> intake = d.intake();

    long ticket = intake.claim(); // producer A, first half of accept()
    CompletableFuture<Void> fb = b.submit(2); // producer B publishes behind A
    assertThat(b.close(Duration.ofMillis(100))).isFalse(); // neither is visible: gives up
    assertThat(fb).isNotDone();

    Entry<Integer> a = new Entry<>(1, System.nanoTime(), null);
    intake.publish(ticket, a); // producer A resumes

    await().until(() -> a.isDone() && fb.isDone());
    assertThat(a).isCompletedExceptionally();
    assertThat(fb).isCompletedExceptionally();
    assertThat(b.metrics().pending()).isZero();
    assertThat(b.metrics().queueDepth()).isZero();
    assertThat(b.metrics().dropped().get(dev.batcher.DropReason.CLOSE_TIMEOUT)).isEqualTo(2);
  }

  /**
   * A slow but healthy call (400 ms of a 600 ms delivery timeout) whose only item was dropped
   * while it waited must not be interrupted, nor run beside a replacement call.
   */
  @Test
  void slowCallWhoseItemsExpired_isNotAbandonedEarly() {
    AtomicInteger running = new AtomicInteger();
    AtomicInteger maxRunning = new AtomicInteger();
    AtomicInteger interrupts = new AtomicInteger();
    Batcher<Integer> b = Batcher.builder((BatchSink<Integer>) batch -> {
      maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
      try {
        long end = System.nanoTime()
            + TimeUnit.MILLISECONDS.toNanos(batch.get(0) == 3 ? 10 : 400);
        for (long now; (now = System.nanoTime()) < end; ) {
          LockSupport.parkNanos(end - now); // a call that ignores interrupts, like a socket write
          if (Thread.interrupted()) {
            interrupts.incrementAndGet();
          }
        }
        return BatchResult.success();
      } finally {
        running.decrementAndGet();
      }
    }).maxBatchSize(1).deliveryTimeout(Duration.ofMillis(600)).build();
    b.submit(1);
    CompletableFuture<Void> f2 = b.submit(2); // waits 400 ms, runs 400 ms: expires inside its call
    await().until(f2::isDone);
    CompletableFuture<Void> f3 = b.submit(3);
    b.close();
    assertThat(f3).isCompleted();
    assertThat(interrupts.get()).as("a healthy call is not interrupted").isZero();
    assertThat(maxRunning.get()).as("maxInFlightBatches 1").isEqualTo(1);
  }
}
