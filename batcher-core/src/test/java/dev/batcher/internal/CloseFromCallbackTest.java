package dev.batcher.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.BatchResult;
import dev.batcher.Batcher;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * close(Duration) called from a future's callback is documented to start closing and return at
 * once. An async sink's stages complete on the sink's own threads, which the batcher did not
 * make: a callback there runs while the worker's settle of that call is under way.
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
      org.awaitility.Awaitility.await().until(() -> stages.size() == 2);

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
}
