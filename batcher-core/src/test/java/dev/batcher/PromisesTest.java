package dev.batcher;

import static dev.batcher.TestSupport.failureOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.batcher.testing.RecordingSink;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The exact promises of the API: refusals, endings, exceptions, close and in-flight bounds. */
class PromisesTest {
  private Batcher<?> open;

  @AfterEach
  void closeIt() {
    if (open != null) {
      open.close(Duration.ofSeconds(5));
    }
  }

  private <T> Batcher<T> track(Batcher<T> b) {
    open = b;
    return b;
  }

  // --------------------------------------------------------------------------------- refusals

  @Test
  void coalesce_keyFunctionThrows_refusesTheItemAsMergeFailed() {
    IllegalStateException bug = new IllegalStateException("no key for you");
    RecordingSink<String> sink = new RecordingSink<>();
    Batcher<String> b = track(Batcher.builder(sink).name("keys")
        .coalesce(s -> {
          if (s.startsWith("bad")) {
            throw bug;
          }
          return s;
        }, (x, y) -> x).build());

    CompletableFuture<Void> refused = b.submit("bad-1");
    assertThat(failureOf(refused)).isInstanceOfSatisfying(RejectedItemException.class,
        e -> assertThat(e.reason()).isEqualTo(RefusalReason.MERGE_FAILED))
        .hasCause(bug)
        .hasMessage("batcher 'keys' refused the item (MERGE_FAILED): the coalesce key function "
            + "threw " + bug.getClass().getName());
    assertThat(b.offer("bad-2")).isFalse();
    assertThat(b.submit("good")).succeedsWithin(Duration.ofSeconds(5));

    BatcherMetrics m = b.metrics();
    assertThat(m.refused()).containsEntry(RefusalReason.MERGE_FAILED, 2L);
    assertThat(m.submitted()).isEqualTo(3);
    assertThat(m.succeeded()).isEqualTo(1);
    assertThat(m.pending()).isZero();
  }

  /** Throws {@code t} as it is, checked or not, as Lombok's @SneakyThrows or Kotlin code do. */
  @SuppressWarnings("unchecked")
  private static <E extends Throwable> RuntimeException sneaky(Throwable t) throws E {
    throw (E) t;
  }

  static List<Throwable> userFunctionFailures() {
    return List.of(new IOException("sneaky checked"), new AssertionError("assert in user code"),
        new TestSupport.UnprintableException());
  }

  @ParameterizedTest
  @MethodSource("userFunctionFailures")
  void coalesce_keyFunctionThrowsAnything_refusesTheItem_neverThrows(Throwable bug) {
    Batcher<String> b = track(Batcher.builder(new RecordingSink<String>()).name("keys")
        .coalesce(s -> {
          if (s.startsWith("bad")) {
            throw sneaky(bug);
          }
          return s;
        }, (x, y) -> x).build());

    assertThat(failureOf(b.submit("bad-1"))).isInstanceOfSatisfying(RejectedItemException.class,
        e -> assertThat(e.reason()).isEqualTo(RefusalReason.MERGE_FAILED)).hasCause(bug);
    assertThat(b.offer("bad-2")).isFalse();
    assertThat(b.submit("good")).succeedsWithin(Duration.ofSeconds(5));
    BatcherMetrics m = b.metrics();
    assertThat(m.refused()).containsEntry(RefusalReason.MERGE_FAILED, 2L);
    assertThat(m.submitted()).isEqualTo(3);
    assertThat(m.pending()).isZero();
  }

  @ParameterizedTest
  @MethodSource("userFunctionFailures")
  void coalesce_mergeThrowsAnything_refusesTheItem_neverThrows(Throwable bug) {
    RecordingSink<String> sink = RecordingSink.gated();
    Batcher<String> b = track(Batcher.builder(sink).name("merges").maxBatchSize(1)
        .coalesce(s -> s.substring(0, 1), (x, y) -> {
          throw sneaky(bug);
        }).build());
    b.submit("a");
    await().until(() -> b.metrics().inFlightBatches() == 1);
    CompletableFuture<Void> waiting = b.submit("b1");

    assertThat(failureOf(b.submit("b2"))).isInstanceOfSatisfying(RejectedItemException.class,
        e -> assertThat(e.reason()).isEqualTo(RefusalReason.MERGE_FAILED)).hasCause(bug)
        .hasMessage("batcher 'merges' refused the item (MERGE_FAILED): coalescing threw "
            + bug.getClass().getName());
    sink.openForever();
    assertThat(waiting).succeedsWithin(Duration.ofSeconds(5));
    BatcherMetrics m = b.metrics();
    assertThat(m.refused()).containsEntry(RefusalReason.MERGE_FAILED, 1L);
    assertThat(m.submitted()).isEqualTo(3);
    assertThat(m.succeeded()).isEqualTo(2);
  }

  @ParameterizedTest
  @MethodSource("userFunctionFailures")
  void weigherThrowsAnything_refusesTheItemAsWeigherFailed_neverThrows(Throwable bug) {
    Batcher<String> b = track(Batcher.builder(new RecordingSink<String>()).name("weights")
        .weigher(s -> {
          if (s.startsWith("bad")) {
            throw sneaky(bug);
          }
          return s.length();
        }).maxBatchWeight(100).build());

    assertThat(failureOf(b.submit("bad-1"))).isInstanceOfSatisfying(RejectedItemException.class,
        e -> assertThat(e.reason()).isEqualTo(RefusalReason.WEIGHER_FAILED))
        .hasCause(bug)
        .hasMessage("batcher 'weights' refused the item (WEIGHER_FAILED): the weigher threw "
            + bug.getClass().getName());
    assertThat(b.offer("bad-2")).isFalse();
    assertThat(b.submit("good")).succeedsWithin(Duration.ofSeconds(5));
    BatcherMetrics m = b.metrics();
    assertThat(m.refused()).containsEntry(RefusalReason.WEIGHER_FAILED, 2L);
    assertThat(m.submitted()).isEqualTo(3);
    assertThat(m.pending()).isZero();
  }

  @Test
  void userFunctionThrowsAVirtualMachineError_isRethrown() {
    StackOverflowError fatal = new StackOverflowError("deep");
    Batcher<String> b = track(Batcher.builder(new RecordingSink<String>())
        .weigher(s -> {
          throw fatal;
        }).maxBatchWeight(100).build());
    assertThatThrownBy(() -> b.submit("x")).isSameAs(fatal);
  }

  @Test
  void refusedFutures_shareNoSuppressedExceptions() {
    RecordingSink<Integer> sink = RecordingSink.gated();
    Batcher<Integer> b = track(Batcher.builder(sink).queueCapacity(1).maxBatchSize(1)
        .overflow(OverflowPolicy.FAIL).build());
    b.submit(0); // takes the only room, held in the gated sink
    Throwable first = failureOf(b.submit(1));
    Throwable second = failureOf(b.submit(2));
    assertThat(first).isInstanceOf(RejectedItemException.class);

    first.addSuppressed(new IllegalStateException("the first caller's note"));
    assertThat(second.getSuppressed()).isEmpty();
    assertThat(first.getSuppressed()).isEmpty();
    sink.openForever();
  }

  // ---------------------------------------------------------------------------------- endings

  @Test
  void completedFuture_doesNotKeepItsItemReachable() {
    Batcher<Object> b = track(Batcher.builder((BatchSink<Object>) batch -> BatchResult.success())
        .build());
    Object item = new Object();
    WeakReference<Object> ref = new WeakReference<>(item);
    CompletableFuture<Void> kept = b.submit(item);
    assertThat(kept).succeedsWithin(Duration.ofSeconds(5));
    for (int i = 0; i < 3; i++) { // epochs that a kept future must not chain to
      b.submit(new Object());
      b.flush().join();
    }
    item = null;
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      System.gc();
      return ref.get() == null;
    });
    assertThat(kept).isDone(); // still held: it is not what kept the item
  }

  @Test
  void itemTimedOutAfterFailedAttempts_carriesTheSinksLastErrorAsCause() {
    AtomicInteger calls = new AtomicInteger();
    IOException down = new IOException("database down");
    Batcher<String> b = track(Batcher.builder((BatchSink<String>) batch -> {
      calls.incrementAndGet();
      throw down;
    }).name("down").deliveryTimeout(Duration.ofSeconds(1))
        .retryPolicy(TestSupport.fixedBackoff(10, Duration.ofSeconds(2))).build());

    Throwable failure = failureOf(b.submit("x")); // the retry could not start in time
    assertThat(failure).isInstanceOfSatisfying(DroppedItemException.class,
        e -> assertThat(e.reason()).isEqualTo(DropReason.DELIVERY_TIMEOUT))
        .hasCause(down)
        .hasMessageEndingWith("; its last attempt failed: " + down);
    assertThat(calls).hasValue(1);
  }

  @Test
  void isolatedPoison_reportsItsAttemptsAndSplitsApart() {
    IllegalArgumentException constraint = new IllegalArgumentException("check violated");
    Batcher<Integer> b = track(Batcher.builder(BatchSink.atomic((List<Integer> batch) -> {
      if (batch.contains(5)) {
        throw constraint; // not retryable
      }
      return BatchResult.success();
    })).name("poison").maxBatchSize(8).maxDelay(Duration.ofSeconds(10)).build());

    List<CompletableFuture<Void>> fs = new java.util.ArrayList<>();
    for (int i = 0; i < 8; i++) {
      fs.add(b.submit(i));
    }
    Throwable failure = failureOf(fs.get(5));
    assertThat(failure).isInstanceOfSatisfying(ItemWriteException.class, e -> {
      assertThat(e.attempts()).isEqualTo(1); // never retried: the error is not retryable
      assertThat(e.splits()).isEqualTo(3); // 8 -> 4 -> 2 -> 1
    }).hasMessage("batcher 'poison' could not write the item after 1 attempt, isolated by 3 "
        + "splits: " + constraint);
    for (int i = 0; i < 8; i++) {
      if (i != 5) {
        assertThat(fs.get(i)).succeedsWithin(Duration.ofSeconds(5));
      }
    }
    assertThat(b.metrics().bisections()).isEqualTo(3);
  }

  // ------------------------------------------------------------------------------- in flight

  @Test
  void abandonedCallStillRunning_isCountedBesideTheNewCalls() throws Exception {
    CountDownLatch hung = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    java.util.concurrent.atomic.AtomicReference<Object> readAfterRelease =
        new java.util.concurrent.atomic.AtomicReference<>();
    AtomicInteger running = new AtomicInteger();
    AtomicInteger maxRunning = new AtomicInteger();
    Batcher<Integer> b = track(Batcher.builder((BatchSink<Integer>) batch -> {
      maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
      try {
        if (batch.get(0) == 0) {
          hung.countDown();
          while (true) { // ignores interrupts, as a socket write may
            try {
              if (release.await(10, TimeUnit.SECONDS)) {
                readAfterRelease.set(batch.get(0)); // its item was dropped meanwhile
                break;
              }
            } catch (InterruptedException e) {
              // keep hanging
            }
          }
        }
        return BatchResult.success();
      } finally {
        running.decrementAndGet();
      }
    }).name("hung").maxBatchSize(1).deliveryTimeout(Duration.ofMillis(300)).build());

    CompletableFuture<Void> first = b.submit(0);
    assertThat(hung.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(failureOf(first)).isInstanceOf(DroppedItemException.class);
    await().until(() -> b.metrics().abandonedCallsRunning() == 1);
    assertThat(b.submit(1)).succeedsWithin(Duration.ofSeconds(5)); // a new call beside it
    assertThat(maxRunning).hasValue(2);
    assertThat(b.metrics().inFlightBatches()).isZero();

    release.countDown();
    await().until(() -> b.metrics().abandonedCallsRunning() == 0);
    assertThat(readAfterRelease).as("the running call still reads its items").hasValue(0);
  }

  // ----------------------------------------------------------------------------------- close

  @Test
  void close_interruptedWhileWaiting_dropsWhatIsLeftAndKeepsTheInterrupt() {
    RecordingSink<Integer> sink = RecordingSink.gated();
    Batcher<Integer> b = track(Batcher.builder(sink).name("interrupted").build());
    CompletableFuture<Void> stuck = b.submit(1);
    await().until(() -> b.metrics().inFlightBatches() == 1);

    Thread.currentThread().interrupt();
    boolean clean;
    try {
      clean = b.close(Duration.ofSeconds(30));
    } finally {
      assertThat(Thread.interrupted()).as("interrupt status kept").isTrue();
    }
    assertThat(clean).isFalse();
    assertThat(failureOf(stuck)).isInstanceOfSatisfying(DroppedItemException.class,
        e -> assertThat(e.reason()).isEqualTo(DropReason.CLOSE_TIMEOUT));
    sink.openForever();
  }

  @Test
  void close_interruptedWithNothingLeft_returnsTrue() {
    Batcher<Integer> b = track(Batcher.builder(new RecordingSink<Integer>()).build());
    assertThat(b.submit(1)).succeedsWithin(Duration.ofSeconds(5));
    Thread.currentThread().interrupt();
    try {
      assertThat(b.close(Duration.ofSeconds(30))).as("nothing was dropped").isTrue();
    } finally {
      assertThat(Thread.interrupted()).isTrue();
    }
  }
}
