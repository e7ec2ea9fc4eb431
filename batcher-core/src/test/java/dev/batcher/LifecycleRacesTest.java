package dev.batcher;

import static org.assertj.core.api.Assertions.assertThat;
import static dev.batcher.TestSupport.fixedBackoff;
import static org.awaitility.Awaitility.await;

import dev.batcher.internal.LogCapture;
import dev.batcher.testing.ManualTimeSource;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/**
 * Races and corner cases of the lifecycle found in review: hung sinks at close, user code that
 * throws on the completion path, retries near their deadline, and close racing producers. Each
 * test failed before its fix.
 */
class LifecycleRacesTest {

  @Test
  void close_withAHungSink_returnsOnceTheCallIsAbandoned() throws Exception {
    ManualTimeSource clock = new ManualTimeSource();
    CountDownLatch hang = new CountDownLatch(1);
    Batcher<Integer> b = Batcher.builder((List<Integer> batch) -> {
      hang.await();
      return BatchResult.success();
    }).name("hungclose").deliveryTimeout(Duration.ofSeconds(5)).timeSource(clock).build();
    CompletableFuture<Void> f = b.submit(1);
    await().until(() -> b.metrics().inFlightBatches() == 1 && clock.isParked("-monitor"));
    Thread closer = new Thread(b::close, "closer");
    closer.start();
    await().until(() -> closer.getState() == Thread.State.WAITING
        || closer.getState() == Thread.State.TIMED_WAITING);
    clock.advance(Duration.ofSeconds(5));
    await().until(() -> !closer.isAlive());
    assertThat(f).isCompletedExceptionally();
    hang.countDown();
  }

  @Test
  void retryClassifierThatThrows_givesTheItemsUpInsteadOfStrandingThem() {
    IllegalStateException bug = new IllegalStateException("classifier bug");
    Batcher<Integer> b = Batcher.builder((List<Integer> batch) -> {
      throw new IOException("boom");
    }).retryPolicy(RetryPolicy.builder().retryOn(t -> {
      throw bug;
    }).build()).name("classifier-bug").build();
    try (LogCapture log = LogCapture.of(LogCapture.BATCHER)) {
      CompletableFuture<Void> f = b.submit(1);
      await().until(f::isDone);
      assertThat(f).failsWithin(Duration.ZERO).withThrowableThat().havingCause()
          .isInstanceOf(ItemWriteException.class).havingCause().isSameAs(bug);
      assertThat(b.metrics().pending()).isZero();
      assertThat(b.close(Duration.ofSeconds(5))).isTrue();
      // Logged (with the bug's stack trace) before the items were given up.
      assertThat(log.all()).filteredOn(e -> e.level() == Level.ERROR)
          .singleElement()
          .satisfies(e -> assertThat(e.message()).isEqualTo("batcher 'classifier-bug': "
              + "failed while handling the result of a batch of 1 items; giving them up"))
          .satisfies(e -> assertThat(e.thrownMessage())
              .isEqualTo("classifier bug"));
    }
  }

  @Test
  void listenerThatThrowsAnError_onRetry_doesNotStrandItems() {
    AtomicInteger calls = new AtomicInteger();
    Batcher<Integer> b = Batcher.builder((List<Integer> batch) -> {
      if (calls.incrementAndGet() == 1) {
        throw new IOException("blip");
      }
      return BatchResult.success();
    }).retryPolicy(fixedBackoff(2, Duration.ZERO)).listener(new BatcherListener<Integer>() {
      @Override
      public void onRetry(Integer item, Throwable cause, int attemptsSoFar) {
        throw new AssertionError("listener bug");
      }
    }).build();
    b.submit(1).join();
    assertThat(b.close(Duration.ofSeconds(5))).isTrue();
  }

  @Test
  void retry_isNeverScheduledPastTheItemsDeadline() {
    ManualTimeSource clock = new ManualTimeSource();
    Batcher<Integer> b = Batcher.builder((List<Integer> batch) -> {
      throw new IOException("boom");
    }).maxBatchSize(1).queueCapacity(200).deliveryTimeout(Duration.ofMillis(500))
        .timeSource(clock).retryPolicy(RetryPolicy.builder().maxAttempts(2)
            .initialBackoff(Duration.ofSeconds(4)).maxBackoff(Duration.ofSeconds(4)).build())
        .build();
    List<CompletableFuture<Void>> fs = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      fs.add(b.submit(i));
    }
    await().until(() -> b.metrics().totalBatches() == 100);
    clock.advance(Duration.ofMillis(500)); // every item's deadline
    await().until(() -> fs.stream().allMatch(CompletableFuture::isDone));
    b.close(Duration.ofSeconds(5));
  }

  @Test
  void retriedItemInAHungCall_isDroppedAtItsOwnDeadline() {
    ManualTimeSource clock = new ManualTimeSource();
    AtomicInteger calls = new AtomicInteger();
    CountDownLatch hang = new CountDownLatch(1);
    Batcher<Integer> b = Batcher.builder((List<Integer> batch) -> {
      if (calls.incrementAndGet() == 1) {
        throw new IOException("first");
      }
      hang.await();
      return BatchResult.success();
    }).maxDelay(Duration.ofMillis(400)).maxDelayJitter(0).deliveryTimeout(Duration.ofMillis(1000))
        .retryPolicy(fixedBackoff(2, Duration.ofMillis(100))).timeSource(clock).build();
    CompletableFuture<Void> f = b.submit(1);
    await().until(() -> clock.isParked("-flush-") && clock.isParked("-monitor"));
    clock.advance(Duration.ofMillis(400)); // linger ends: first call fails
    await().until(() -> b.metrics().retries() == 1 && clock.isParked("-flush-"));
    clock.advance(Duration.ofMillis(100)); // retry goes out and hangs
    await().until(() -> calls.get() == 2 && clock.isParked("-monitor"));
    clock.advance(Duration.ofMillis(500)); // exactly the item's deadline
    await().until(f::isDone);
    assertThat(b.metrics().dropped()).containsEntry(DropReason.DELIVERY_TIMEOUT, 1L);
    hang.countDown();
    b.close(Duration.ofSeconds(5));
  }

  /**
   * A producer stalls in the clock read, after its check of closed and before its claim;
   * close(Duration.ZERO) finds nothing accepted and terminates, and the claim that follows must
   * fail, not leave an entry nobody takes. (A producer stalled after its claim, which runs no
   * user code before it publishes, is covered by AbortAndAbandonRacesTest.)
   */
  @Test
  void submitRacingCloseWithTimeout_isNeverStranded() throws Exception {
    ManualTimeSource time = ManualTimeSource.realTime();
    Batcher<Integer> b = Batcher.builder((List<Integer> batch) -> BatchResult.success())
        .timeSource(time).build();
    AtomicReference<CompletableFuture<Void>> submitted = new AtomicReference<>();
    Thread producer = new Thread(() -> submitted.set(b.submit(42)), "producer");
    ManualTimeSource.Stall stall = time.stallNextReadBy(producer);
    producer.start();
    stall.awaitStalled(); // saw the batcher open, now stalled before claiming
    assertThat(b.close(Duration.ZERO)).as("nothing was accepted yet").isTrue();
    stall.release();
    producer.join();
    CompletableFuture<Void> f = submitted.get();
    await().until(f::isDone);
    assertThat(b.metrics().pending()).isZero();
  }

  @Test
  void monitor_doesNotPollWhileTheFormerLingers() throws Exception {
    ManualTimeSource time = ManualTimeSource.realTime();
    Batcher<Integer> b = Batcher.builder((List<Integer> batch) -> BatchResult.success())
        .maxDelay(Duration.ofMillis(500)).maxDelayJitter(0).timeSource(time).build();
    await().until(() -> time.parks("-monitor") > 0);
    long before = time.parks("-monitor");
    b.submit(1).get(5, TimeUnit.SECONDS);
    assertThat(time.parks("-monitor") - before).isLessThan(5);
    b.close();
  }

  /**
   * A future failed by the monitor at its delivery timeout runs its callbacks on the monitor;
   * close() called there must start closing and return at once. Were it to wait for the batcher
   * to end, it would wait forever: the other hung call ends only when the monitor, stuck in that
   * callback, abandons it. The batcher then ends: a later item is refused, and close() elsewhere
   * finishes in time with every item counted once.
   */
  @Test
  void close_fromATimeoutCallbackOnTheMonitor_doesNotBlockTheBatcher() throws Exception {
    ManualTimeSource clock = new ManualTimeSource();
    CountDownLatch hang = new CountDownLatch(1);
    Batcher<Integer> b = Batcher.builder((List<Integer> batch) -> {
      hang.await();
      return BatchResult.success();
    }).name("closemon").maxBatchSize(1).maxInFlightBatches(2)
        .deliveryTimeout(Duration.ofMillis(400)).timeSource(clock).build();
    AtomicReference<String> callbackThread = new AtomicReference<>();
    CountDownLatch closed = new CountDownLatch(1);
    b.submit(1).whenComplete((v, e) -> {
      callbackThread.set(Thread.currentThread().getName());
      b.close();
      closed.countDown();
    });
    await().until(() -> b.metrics().inFlightBatches() == 1 && clock.isParked("-monitor"));
    clock.advance(Duration.ofMillis(200));
    CompletableFuture<Void> second = b.submit(2); // its deadline is 200 ms after the first's
    await().until(() -> b.metrics().inFlightBatches() == 2 && clock.isParked("-monitor"));

    clock.advance(Duration.ofMillis(200)); // item 1's deadline: the monitor abandons its call
    assertThat(closed.await(5, TimeUnit.SECONDS)).as("close() in the callback returned").isTrue();
    assertThat(callbackThread.get()).isEqualTo("batcher-closemon-monitor");
    assertThat(b.submit(3)).as("refused: closing").isCompletedExceptionally();
    assertThat(second).isNotDone();
    await().until(() -> clock.isParked("-monitor"));
    clock.advance(Duration.ofMillis(200)); // item 2's deadline
    await().until(second::isDone);
    hang.countDown();

    assertThat(b.close(Duration.ofSeconds(5))).as("everything ended in time").isTrue();
    BatcherMetrics m = b.metrics();
    assertThat(m.submitted()).isEqualTo(3);
    assertThat(m.dropped()).as("items 1 and 2").containsEntry(DropReason.DELIVERY_TIMEOUT, 2L)
        .containsEntry(DropReason.CLOSE_TIMEOUT, 0L);
    assertThat(m.refused()).as("item 3").containsEntry(RefusalReason.CLOSED, 1L);
    assertThat(m.succeeded() + m.failed() + m.deadLettered()).isZero();
    assertThat(m.totalDropped() + m.totalRefused()).as("every item ended once")
        .isEqualTo(m.submitted());
    assertThat(m.pending()).isZero();
  }

  @Test
  void coalescedSubmit_afterCloseStarted_isRefused() {
    CountDownLatch hang = new CountDownLatch(1);
    Batcher<String> b = Batcher.builder((List<String> batch) -> {
      hang.await();
      return BatchResult.success();
    }).maxBatchSize(1).coalesce(s -> s.charAt(0), (x, y) -> y).build();
    b.submit("a1");
    await().until(() -> b.metrics().inFlightBatches() == 1);
    b.submit("b1"); // waits under key 'b'
    Thread closer = new Thread(b::close);
    closer.start();
    await().until(() -> closer.getState() == Thread.State.WAITING
        || closer.getState() == Thread.State.TIMED_WAITING);
    CompletableFuture<Void> late = b.submit("b2");
    assertThat(TestSupport.failureOf(late)).isInstanceOfSatisfying(RejectedItemException.class,
        e -> assertThat(e.reason()).isEqualTo(RefusalReason.CLOSED));
    assertThat(b.metrics().refused()).containsEntry(RefusalReason.CLOSED, 1L);
    hang.countDown();
    await().until(() -> !closer.isAlive());
  }

  @Test
  void itemDroppedWhileItsCallRuns_isNotRetried() {
    ManualTimeSource clock = new ManualTimeSource();
    CountDownLatch hang = new CountDownLatch(1);
    List<String> events = new CopyOnWriteArrayList<>();
    Batcher<Integer> b = Batcher.builder((List<Integer> batch) -> {
      hang.await();
      return BatchResult.builder(batch.size()).failedRetryably(0, new IOException("x")).build();
    }).maxDelay(Duration.ofMillis(400)).maxDelayJitter(0).deliveryTimeout(Duration.ofMillis(900))
        .timeSource(clock).listener(new BatcherListener<Integer>() {
          @Override
          public void onRetry(Integer item, Throwable cause, int attempts) {
            events.add("retry " + item);
          }

          @Override
          public void onDropped(Integer item, DropReason reason) {
            events.add("dropped " + item + " " + reason);
          }
        }).build();
    CompletableFuture<Void> f = b.submit(7);
    await().until(() -> clock.isParked("-flush-") && clock.isParked("-monitor"));
    clock.advance(Duration.ofMillis(400));
    await().until(() -> b.metrics().inFlightBatches() == 1 && clock.isParked("-monitor"));
    clock.advance(Duration.ofMillis(500));
    await().until(f::isDone);
    hang.countDown();
    b.close(Duration.ofSeconds(5));
    assertThat(events).containsExactly("dropped 7 DELIVERY_TIMEOUT");
  }
}
