package dev.batcher;

import static org.assertj.core.api.Assertions.assertThat;
import static dev.batcher.TestSupport.failureOf;
import static dev.batcher.TestSupport.fixedBackoff;
import static org.awaitility.Awaitility.await;

import dev.batcher.internal.LogCapture;
import dev.batcher.testing.ManualTimeSource;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/** Retries, partial failures, poison-pill isolation and dead letters. */
class FailureHandlingTest {
  private final ManualTimeSource clock = new ManualTimeSource();
  private final List<Batcher<?>> open = new ArrayList<>();

  @AfterEach
  void closeAll() {
    open.forEach(b -> b.close(Duration.ofSeconds(5)));
  }

  private <T> Batcher<T> track(Batcher<T> b) {
    open.add(b);
    return b;
  }

  /** An atomic sink that throws for any batch holding a poison item, recording every call. */
  private static final class PoisonSink implements BatchSink<Integer> {
    final Set<Integer> poison;
    final boolean atomic;
    final AtomicInteger calls = new AtomicInteger();
    final List<Integer> written = new CopyOnWriteArrayList<>();

    PoisonSink(Set<Integer> poison, boolean atomic) {
      this.poison = poison;
      this.atomic = atomic;
    }

    @Override
    public BatchResult write(List<Integer> batch) {
      calls.incrementAndGet();
      for (Integer i : batch) {
        if (poison.contains(i)) {
          throw new IllegalArgumentException("poison " + i);
        }
      }
      written.addAll(batch);
      return BatchResult.success();
    }

    @Override
    public boolean isAtomic() {
      return atomic;
    }
  }

  /** Submits {@code n} items, lets them form one batch of up to maxBatchSize, and waits. */
  private List<CompletableFuture<Void>> submitAll(Batcher<Integer> b, int n) {
    List<CompletableFuture<Void>> fs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      fs.add(b.submit(i));
    }
    b.flush().join();
    return fs;
  }

  // ------------------------------------------------------------------------------ bisection

  @Test
  void bisection_isolatesOnePoisonAmongAThousandInAboutTwoLogNCalls() {
    PoisonSink sink = new PoisonSink(Set.of(613), true);
    InMemoryDeadLetters<Integer> dead = new InMemoryDeadLetters<>();
    Batcher<Integer> b = track(Batcher.builder(sink).maxBatchSize(1000).queueCapacity(1000)
        .maxDelay(Duration.ofSeconds(60)).maxDelayJitter(0).timeSource(clock)
        .deadLetterHandler(dead).build());
    List<CompletableFuture<Void>> fs = submitAll(b, 1000);

    int extraCalls = sink.calls.get() - 1;
    assertThat(extraCalls).isLessThanOrEqualTo(2 * 10); // 2 * ceil(log2(1000))
    assertThat(dead.items()).containsExactly(613);
    assertThat(dead.letters().get(0).cause()).hasMessage("poison 613");
    assertThat(sink.written).hasSize(999).doesNotContain(613).doesNotHaveDuplicates();
    assertThat(failureOf(fs.get(613))).isInstanceOf(ItemWriteException.class)
        .satisfies(t -> assertThat(((ItemWriteException) t).deadLettered()).isTrue());
    BatcherMetrics m = b.metrics();
    assertThat(m.deadLettered()).isEqualTo(1);
    assertThat(m.succeeded()).isEqualTo(999);
    assertThat(m.bisections()).isEqualTo(10);
    assertThat(m.batches().get(FlushCause.RETRY)).isEqualTo(extraCalls);
  }

  @Test
  void bisection_isolatesTenPoisonsAmongTenThousandWithinTheBound() {
    Set<Integer> poison = IntStream.range(0, 10).map(i -> 37 + i * 997).boxed()
        .collect(Collectors.toSet());
    PoisonSink sink = new PoisonSink(poison, true);
    InMemoryDeadLetters<Integer> dead = new InMemoryDeadLetters<>();
    Batcher<Integer> b = track(Batcher.builder(sink).maxBatchSize(10_000).queueCapacity(10_000)
        .maxDelay(Duration.ofSeconds(60)).maxDelayJitter(0).timeSource(clock)
        .deadLetterHandler(dead).build());
    submitAll(b, 10_000);

    assertThat(sink.calls.get() - 1).isLessThanOrEqualTo(2 * 10 * 14); // 2 k ceil(log2 n)
    assertThat(dead.items()).containsExactlyInAnyOrderElementsOf(poison);
    assertThat(sink.written).hasSize(9_990).doesNotHaveDuplicates();
  }

  @Test
  void bisection_neverSplitsANonAtomicSink() {
    PoisonSink sink = new PoisonSink(Set.of(5), false);
    InMemoryDeadLetters<Integer> dead = new InMemoryDeadLetters<>();
    Batcher<Integer> b = track(Batcher.builder(sink).maxBatchSize(10)
        .maxDelay(Duration.ofSeconds(60)).timeSource(clock).deadLetterHandler(dead).build());
    List<CompletableFuture<Void>> fs = submitAll(b, 10);

    assertThat(sink.calls.get()).isEqualTo(1); // IllegalArgumentException: not retried
    assertThat(dead.items()).containsExactlyElementsOf(IntStream.range(0, 10).boxed().toList());
    assertThat(fs).allMatch(CompletableFuture::isCompletedExceptionally);
    assertThat(b.metrics().bisections()).isZero();
  }

  @Test
  void bisection_afterRetriesRunOut_forARetryableFailure() {
    AtomicInteger calls = new AtomicInteger();
    BatchSink<Integer> sink = BatchSink.atomic(batch -> {
      calls.incrementAndGet();
      if (batch.contains(3)) {
        throw new IOException("item 3 trips the connection");
      }
      return BatchResult.success();
    });
    InMemoryDeadLetters<Integer> dead = new InMemoryDeadLetters<>();
    Batcher<Integer> b = track(Batcher.builder(sink).maxBatchSize(8).retryPolicy(
            fixedBackoff(2, Duration.ZERO)).maxDelay(Duration.ofSeconds(60)).timeSource(clock)
        .deadLetterHandler(dead).build());
    submitAll(b, 8);
    // 1 call + 1 retry of the batch, then halves: 4 levels of 2 calls, and item 3's own retry.
    assertThat(dead.items()).containsExactly(3);
    assertThat(dead.letters().get(0).cause()).isInstanceOf(IOException.class);
    assertThat(b.metrics().succeeded()).isEqualTo(7);
    assertThat(calls.get()).isLessThanOrEqualTo(2 + 2 * 3 + 1);
  }

  // ------------------------------------------------------------------------ partial failure

  @Test
  void partialFailure_retriesOnlyTheRetryableItems() {
    List<List<Integer>> calls = new CopyOnWriteArrayList<>();
    AtomicInteger round = new AtomicInteger();
    BatchSink<Integer> sink = batch -> {
      calls.add(List.copyOf(batch));
      if (round.incrementAndGet() > 1) {
        return BatchResult.success();
      }
      return BatchResult.builder(batch.size())
          .failedRetryably(batch.indexOf(2), new IOException("lock timeout"))
          .failedPermanently(batch.indexOf(4), new IllegalArgumentException("bad row"))
          .failedRetryably(batch.indexOf(7), new IOException("lock timeout"))
          .build();
    };
    InMemoryDeadLetters<Integer> dead = new InMemoryDeadLetters<>();
    Batcher<Integer> b = track(Batcher.builder(sink).maxBatchSize(10)
        .retryPolicy(fixedBackoff(3, Duration.ofMillis(50))).maxDelay(Duration.ofSeconds(60))
        .timeSource(clock).deadLetterHandler(dead).build());
    List<CompletableFuture<Void>> fs = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      fs.add(b.submit(i));
    }
    await().until(() -> calls.size() == 1 && b.metrics().retries() == 2);
    // The good items and the permanent failure end at once; the retryable two wait.
    for (int i : new int[] {0, 1, 3, 5, 6, 8, 9}) {
      assertThat(fs.get(i)).isCompleted();
    }
    assertThat(failureOf(fs.get(4))).hasCauseInstanceOf(IllegalArgumentException.class);
    assertThat(fs.get(2)).isNotDone();
    assertThat(dead.items()).containsExactly(4);

    clock.advance(Duration.ofMillis(50));
    CompletableFuture.allOf(fs.get(2), fs.get(7)).join();
    assertThat(calls).hasSize(2);
    assertThat(calls.get(1)).containsExactly(2, 7);
    assertThat(b.metrics().batches()).containsEntry(FlushCause.RETRY, 1L);
  }

  // ------------------------------------------------------------------------- retry timing

  @Test
  void retry_waitsItsBackoffOnTheClock() {
    List<Long> callTimes = new CopyOnWriteArrayList<>();
    BatchSink<String> sink = batch -> {
      callTimes.add(clock.nanoTime());
      if (callTimes.size() <= 2) {
        throw new IOException("connection reset");
      }
      return BatchResult.success();
    };
    Batcher<String> b = track(Batcher.builder(sink).timeSource(clock).retryPolicy(
        RetryPolicy.builder().maxAttempts(3).initialBackoff(Duration.ofMillis(100))
            .multiplier(2).backoffJitter(RetryPolicy.Jitter.NONE).build()).build());
    CompletableFuture<Void> f = b.submit("x");
    await().until(() -> callTimes.size() == 1 && clock.isParked("-flush-"));
    long parks = clock.parks("-flush-");
    clock.advance(Duration.ofMillis(99));
    await().until(() -> clock.parks("-flush-") > parks);
    assertThat(callTimes).hasSize(1);
    clock.advance(Duration.ofMillis(1));
    await().until(() -> callTimes.size() == 2 && clock.isParked("-flush-"));
    clock.advance(Duration.ofMillis(199));
    assertThat(f).isNotDone();
    clock.advance(Duration.ofMillis(1));
    f.join();
    assertThat(callTimes.get(1) - callTimes.get(0)).isEqualTo(100_000_000L);
    assertThat(callTimes.get(2) - callTimes.get(1)).isEqualTo(200_000_000L);
    assertThat(b.metrics().retries()).isEqualTo(2);
  }

  @Test
  void retry_stopsAtTheDeliveryTimeout() {
    AtomicInteger calls = new AtomicInteger();
    Batcher<String> b = track(Batcher.builder((List<String> batch) -> {
      calls.incrementAndGet();
      throw new IOException("down");
    }).timeSource(clock).deliveryTimeout(Duration.ofSeconds(1))
        .retryPolicy(fixedBackoff(10, Duration.ofMillis(400))).build());
    CompletableFuture<Void> f = b.submit("x");
    for (int i = 0; i < 2; i++) {
      int seen = i + 1;
      await().until(() -> calls.get() == seen && clock.isParked("-flush-"));
      clock.advance(Duration.ofMillis(400));
    }
    // Attempts at 0, 400 and 800 ms; the next would start at 1200 ms, after the timeout.
    Throwable t = failureOf(f);
    assertThat(((DroppedItemException) t).reason()).isEqualTo(DropReason.DELIVERY_TIMEOUT);
    assertThat(calls.get()).isEqualTo(3);
  }

  @Test
  void retry_exhausted_givesUpWithTheAttempts() {
    InMemoryDeadLetters<String> dead = new InMemoryDeadLetters<>();
    Batcher<String> b = track(Batcher.builder((List<String> batch) -> {
      throw new IOException("down");
    }).name("orders").idFunction(s -> "order-" + s).retryPolicy(fixedBackoff(3, Duration.ZERO))
        .deadLetterHandler(dead).build());
    Throwable t = failureOf(b.submit("42"));
    assertThat(t).isInstanceOf(ItemWriteException.class)
        .hasMessage("batcher 'orders' could not write the item after 3 attempts (dead-lettered): "
            + "java.io.IOException: down");
    assertThat(((ItemWriteException) t).attempts()).isEqualTo(3);
    DeadLetter<String> letter = dead.letters().get(0);
    assertThat(letter.id()).isEqualTo("order-42");
    assertThat(letter.attempts()).isEqualTo(3);
    assertThat(letter.lastAttempt()).isAfterOrEqualTo(letter.firstAttempt());
    assertThat(b.metrics().retries()).isEqualTo(2);
  }

  @Test
  void retry_withoutHandler_failsTheFutureWithCauseAndAttempts() {
    Batcher<String> b = track(Batcher.builder((List<String> batch) -> {
      throw new IllegalArgumentException("constraint");
    }).build());
    Throwable t = failureOf(b.submit("x"));
    assertThat(t).isInstanceOf(ItemWriteException.class).hasCauseInstanceOf(
        IllegalArgumentException.class);
    assertThat(((ItemWriteException) t).attempts()).isEqualTo(1);
    assertThat(((ItemWriteException) t).deadLettered()).isFalse();
    assertThat(b.metrics().failed()).isEqualTo(1);
    assertThat(b.metrics().retries()).isZero();
  }

  @Test
  void retry_neverBlocksNewItems() {
    AtomicInteger calls = new AtomicInteger();
    Batcher<String> b = track(Batcher.builder((List<String> batch) -> {
      if (batch.contains("flaky") && calls.incrementAndGet() == 1) {
        throw new IOException("blip");
      }
      return BatchResult.success();
    }).timeSource(clock).retryPolicy(fixedBackoff(3, Duration.ofSeconds(10))).build());
    CompletableFuture<Void> flaky = b.submit("flaky");
    await().until(() -> b.metrics().retries() == 1);
    b.submit("fresh").join(); // goes out while "flaky" waits out its backoff
    assertThat(flaky).isNotDone();
    clock.advance(Duration.ofSeconds(10));
    flaky.join();
  }

  @Test
  void close_waitsForRetries() {
    AtomicInteger calls = new AtomicInteger();
    Batcher<String> b = Batcher.builder((List<String> batch) -> {
      if (calls.incrementAndGet() == 1) {
        throw new IOException("blip");
      }
      return BatchResult.success();
    }).retryPolicy(fixedBackoff(3, Duration.ofMillis(20))).build();
    CompletableFuture<Void> f = b.submit("x");
    await().until(() -> b.metrics().retries() == 1);
    b.close();
    assertThat(f).isCompleted();
    assertThat(calls.get()).isEqualTo(2);
  }

  @Test
  void closeWithTimeout_dropsItemsWaitingToRetry() {
    Batcher<String> b = Batcher.builder((List<String> batch) -> {
      throw new IOException("down");
    }).retryPolicy(fixedBackoff(5, Duration.ofSeconds(30))).build();
    CompletableFuture<Void> f = b.submit("x");
    await().until(() -> b.metrics().retries() == 1);
    assertThat(b.close(Duration.ofMillis(50))).isFalse();
    assertThat(((DroppedItemException) failureOf(f)).reason()).isEqualTo(DropReason.CLOSE_TIMEOUT);
    assertThat(b.metrics().pending()).isZero();
  }

  // ---------------------------------------------------------------------------- dead letters

  @Test
  void deadLetterHandlerThatThrows_failsTheFutureWithBothCauses() {
    IllegalStateException storeDown = new IllegalStateException("dead-letter table is down");
    Batcher<String> b = track(Batcher.builder((List<String> batch) -> {
      throw new IllegalArgumentException("bad row");
    }).deadLetterHandler(letter -> {
      throw storeDown;
    }).build());
    Throwable t = failureOf(b.submit("x"));
    assertThat(t).isInstanceOf(ItemWriteException.class)
        .hasCauseInstanceOf(IllegalArgumentException.class);
    assertThat(t.getSuppressed()).containsExactly(storeDown);
    assertThat(((ItemWriteException) t).deadLettered()).isFalse();
    BatcherMetrics m = b.metrics();
    assertThat(m.failed()).isEqualTo(1);
    assertThat(m.deadLettered()).isZero();
    assertThat(m.submitted()).isEqualTo(m.succeeded() + m.deadLettered() + m.failed()
        + m.totalRefused() + m.totalDropped() + m.pending());
  }

  @Test
  void loggingHandler_acceptsLetters() throws Exception {
    DeadLetterHandler<String> logging = DeadLetterHandler.logging();
    Batcher<String> b = track(Batcher.builder((List<String> batch) -> {
      throw new IllegalArgumentException("bad row");
    }).idFunction(s -> s.toUpperCase()).deadLetterHandler(logging).build());
    try (LogCapture log = LogCapture.of("dev.batcher.DeadLetter")) {
      Throwable t = failureOf(b.submit("x"));
      assertThat(((ItemWriteException) t).deadLettered()).isTrue();
      assertThat(b.metrics().deadLettered()).isEqualTo(1);
      // The handler ran before the future failed.
      assertThat(log.lines(Level.ERROR)).singleElement().asString()
          .startsWith("dead letter id=X after 1 attempt(s) (")
          .endsWith("): java.lang.IllegalArgumentException: bad row");
    }
  }

  @Test
  void listener_hearsOfRetries() {
    List<String> heard = new CopyOnWriteArrayList<>();
    AtomicInteger calls = new AtomicInteger();
    Batcher<String> b = track(Batcher.builder((List<String> batch) -> {
      if (calls.incrementAndGet() == 1) {
        throw new IOException("blip");
      }
      return BatchResult.success();
    }).retryPolicy(fixedBackoff(2, Duration.ZERO)).listener(new BatcherListener<String>() {
      @Override
      public void onRetry(String item, Throwable cause, int attemptsSoFar) {
        heard.add(item + " " + cause.getMessage() + " " + attemptsSoFar);
      }
    }).build());
    b.submit("x").join();
    assertThat(heard).containsExactly("x blip 1");
  }
}
