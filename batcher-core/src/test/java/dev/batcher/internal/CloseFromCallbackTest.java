package dev.batcher.internal;

import static org.assertj.core.api.Assertions.assertThat;

import static org.awaitility.Awaitility.await;

import dev.batcher.BatchResult;
import dev.batcher.BatchSink;
import dev.batcher.Batcher;
import dev.batcher.BatcherListener;
import dev.batcher.DropReason;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * close(Duration) and the callbacks of the steps it waits for. Called from a future's callback
 * it is documented to start closing and return at once, also on an async sink's own threads
 * (a callback there runs while the worker's settle of that call is under way). Having given up,
 * it returns once every future has completed, also those the monitor is ending meanwhile.
 */
class CloseFromCallbackTest {

  /**
   * The first stage completes on a 'sink-io' thread, whose callback closes the batcher while the
   * second stage never completes. The close used to time out, abort and then wait 10 s for the
   * settle its own thread was in the middle of, answering false.
   */
  @Test
  void closeFromACallbackOnTheAsyncSinksThread_returnsAtOnce() throws Exception {
    ExecutorService io = Executors.newSingleThreadExecutor(r -> new Thread(r, "sink-io"));
    List<CompletableFuture<BatchResult>> stages = new CopyOnWriteArrayList<>();
    Batcher<String> b = Batcher.<String>asyncBuilder(batch -> {
      CompletableFuture<BatchResult> stage = new CompletableFuture<>();
      stages.add(stage);
      return stage;
    }).name("close-from-io").maxBatchSize(1).maxInFlightBatches(2).build();
    try {
      CountDownLatch closed = new CountDownLatch(1);
      long[] tookNanos = new long[1];
      boolean[] answer = new boolean[1];
      CompletableFuture<Void> a = b.submit("a");
      a.thenRun(() -> {
        long start = System.nanoTime();
        answer[0] = b.close(Duration.ofMillis(100));
        tookNanos[0] = System.nanoTime() - start;
        closed.countDown();
      });
      CompletableFuture<Void> second = b.submit("b"); // its stage never completes
      await().until(() -> stages.size() == 2);

      io.execute(() -> stages.get(0).complete(BatchResult.success()));

      assertThat(closed.await(30, TimeUnit.SECONDS)).as("the callback's close returned").isTrue();
      assertThat(TimeUnit.NANOSECONDS.toMillis(tookNanos[0]))
          .as("close from a callback returns at once").isLessThan(1_000);
      assertThat(answer[0]).as("a close that starts closing drops nothing").isTrue();
      assertThat(second).as("still pending: not dropped by a callback's close").isNotDone();
    } finally {
      b.close(Duration.ZERO);
      io.shutdownNow();
    }
  }

  /**
   * The monitor drops an item past its delivery timeout, and the listener it tells before the
   * item's future completes takes its time. A close(ZERO) meanwhile cannot see the item (the
   * monitor has ended it) and used to return at once, with the future still incomplete. (Another
   * item waits, so that the close has to give up: a batcher that terminates gives capacity back
   * before the futures complete, by design.)
   */
  @Test
  void abortWhileTheMonitorSettlesADrop_returnsOnceItsFutureCompleted() throws Exception {
    CountDownLatch inListener = new CountDownLatch(1);
    CountDownLatch releaseListener = new CountDownLatch(1);
    CountDownLatch sinkGate = new CountDownLatch(1);
    Batcher<String> b = Batcher.builder((BatchSink<String>) batch -> {
      sinkGate.await(); // until the monitor abandons the call and interrupts it
      return BatchResult.success();
    }).name("abort-vs-monitor").maxBatchSize(1).maxInFlightBatches(1)
        .deliveryTimeout(Duration.ofMillis(200))
        .listener(new BatcherListener<String>() {
          @Override
          public void onDropped(String item, DropReason reason) {
            if (reason == DropReason.DELIVERY_TIMEOUT) {
              inListener.countDown();
              try {
                releaseListener.await(30, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
          }
        }).build();
    CompletableFuture<Void> a = b.submit("a");
    CompletableFuture<Void> waiting = b.submit("b"); // keeps the batcher from terminating
    assertThat(inListener.await(30, TimeUnit.SECONDS)).as("the monitor drops 'a'").isTrue();

    boolean[] aDoneAtReturn = new boolean[1];
    Thread closer = new Thread(() -> {
      b.close(Duration.ZERO);
      aDoneAtReturn[0] = a.isDone();
    }, "closer");
    closer.start();
    // Release the listener once the close has returned, or waits for the monitor's step.
    await().atMost(Duration.ofSeconds(30)).until(() -> !closer.isAlive()
        || Arrays.stream(closer.getStackTrace())
            .anyMatch(f -> f.getMethodName().equals("awaitAbortSettled")));
    releaseListener.countDown();
    closer.join(30_000);

    assertThat(closer.isAlive()).isFalse();
    assertThat(aDoneAtReturn[0]).as("the dropped item's future, when close returned").isTrue();
    assertThat(waiting).isCompletedExceptionally();
    sinkGate.countDown();
  }
}
