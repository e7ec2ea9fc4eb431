package dev.batcher;

import static dev.batcher.TestSupport.failureOf;
import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.TestSupport.UnprintableException;
import dev.batcher.internal.LogCapture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/**
 * The sink's exceptions, items and ids are user objects whose {@code toString()} and {@code
 * getMessage()} may throw. Building our exceptions and log lines from them on a worker thread must
 * never kill the worker or leave a future uncompleted: every item still ends exactly once, and the
 * batcher goes on writing.
 */
class UnprintableFailuresTest {
  private final List<Batcher<?>> open = new ArrayList<>();

  @AfterEach
  void closeAll() {
    open.forEach(b -> assertThat(b.close(Duration.ofSeconds(5))).isTrue());
  }

  private <T> Batcher<T> track(Batcher<T> b) {
    open.add(b);
    return b;
  }

  /** An item whose toString() throws. */
  private record Unprintable(String id) {
    @Override
    public String toString() {
      throw new IllegalStateException("toString() of an unprintable item");
    }
  }

  /** Throws {@code bug} for items whose id starts with "bad", writes the others. */
  private static BatchSink<Unprintable> sinkFailing(RuntimeException bug) {
    return batch -> {
      if (batch.stream().anyMatch(u -> u.id().startsWith("bad"))) {
        throw bug;
      }
      return BatchResult.success();
    };
  }

  @Test
  void permanentFailure_withAnUnprintableCause_failsTheFuture_andTheWorkerGoesOn() {
    UnprintableException bug = new UnprintableException();
    Batcher<Unprintable> b = track(Batcher.builder(sinkFailing(bug)).name("unprintable-perm")
        .retryPolicy(RetryPolicy.none()).idFunction(Unprintable::id).build());
    try (LogCapture log = LogCapture.of(LogCapture.BATCHER)) {
      Throwable t = failureOf(b.submit(new Unprintable("bad")));
      assertThat(t).isInstanceOf(ItemWriteException.class).hasCause(bug)
          .hasMessage("batcher 'unprintable-perm' could not write the item after 1 attempt: "
              + UnprintableException.class.getName() + " (its toString() threw "
              + IllegalStateException.class.getName() + ")");
      assertThat(b.submit(new Unprintable("good"))).succeedsWithin(Duration.ofSeconds(5));
      assertThat(log.lines(Level.WARN)).anyMatch(l -> l.startsWith("batcher 'unprintable-perm': "
          + "1 item(s) failed for good, ids [bad]; first cause: "
          + UnprintableException.class.getName()));
    }
    BatcherMetrics m = b.metrics();
    assertThat(m.failed()).isEqualTo(1);
    assertThat(m.succeeded()).isEqualTo(1);
    assertThat(m.pending()).isZero();
  }

  @Test
  void retriedThenTimedOut_withAnUnprintableCause_isDroppedWithItAsCause() {
    UnprintableException bug = new UnprintableException();
    Batcher<Unprintable> b = track(Batcher.builder(sinkFailing(bug)).name("unprintable-timeout")
        .deliveryTimeout(Duration.ofMillis(300))
        .retryPolicy(RetryPolicy.builder().maxAttempts(5).initialBackoff(Duration.ofMillis(200))
            .maxBackoff(Duration.ofMillis(200)).backoffJitter(RetryPolicy.Jitter.NONE)
            .retryOn(x -> true).build())
        .build());
    Throwable t = failureOf(b.submit(new Unprintable("bad")));
    assertThat(t).isInstanceOfSatisfying(DroppedItemException.class,
        e -> assertThat(e.reason()).isEqualTo(DropReason.DELIVERY_TIMEOUT)).hasCause(bug);
    assertThat(t.getMessage()).endsWith("; its last attempt failed: "
        + UnprintableException.class.getName() + " (its toString() threw "
        + IllegalStateException.class.getName() + ")");
    assertThat(b.submit(new Unprintable("good"))).succeedsWithin(Duration.ofSeconds(5));
    assertThat(b.metrics().pending()).isZero();
  }

  @Test
  void loggingDeadLetterHandler_withAnUnprintableItemAndCause_takesTheItem() {
    UnprintableException bug = new UnprintableException();
    Batcher<Unprintable> b = track(Batcher.builder(sinkFailing(bug)).name("unprintable-dlh")
        .retryPolicy(RetryPolicy.none()).deadLetterHandler(DeadLetterHandler.logging()).build());
    try (LogCapture log = LogCapture.of("dev.batcher.DeadLetter")) {
      Throwable t = failureOf(b.submit(new Unprintable("bad")));
      assertThat(t).isInstanceOfSatisfying(ItemWriteException.class,
          e -> assertThat(e.deadLettered()).isTrue()).hasCause(bug);
      assertThat(log.lines(Level.ERROR)).singleElement().asString()
          .startsWith("dead letter item=" + Unprintable.class.getName()
              + " (its toString() threw ");
    }
    assertThat(b.metrics().deadLettered()).isEqualTo(1);
  }

  @Test
  void deadLetterHandlerThrowingAnUnprintableException_failsTheItemWithItSuppressed() {
    UnprintableException bug = new UnprintableException();
    UnprintableException handlerBug = new UnprintableException();
    Batcher<Unprintable> b = track(Batcher.builder(sinkFailing(bug))
        .name("unprintable-dlh-throws").retryPolicy(RetryPolicy.none())
        .deadLetterHandler(letter -> {
          throw handlerBug;
        }).build());
    try (LogCapture log = LogCapture.of(LogCapture.BATCHER)) {
      Throwable t = failureOf(b.submit(new Unprintable("bad")));
      assertThat(t).isInstanceOfSatisfying(ItemWriteException.class,
          e -> assertThat(e.deadLettered()).isFalse()).hasCause(bug);
      assertThat(t.getSuppressed()).containsExactly(handlerBug);
      // the give-up line still names the batcher, though neither exception can be printed
      assertThat(log.lines(Level.WARN)).anyMatch(l -> l.contains("'unprintable-dlh-throws'"));
    }
    assertThat(b.submit(new Unprintable("good"))).succeedsWithin(Duration.ofSeconds(5));
    assertThat(b.metrics().failed()).isEqualTo(1);
  }

  @Test
  void retryClassifierAndListenerThrowingUnprintableExceptions_stillEndEveryItem() {
    UnprintableException classifierBug = new UnprintableException();
    AtomicInteger listenerCalls = new AtomicInteger();
    Batcher<Unprintable> b = track(Batcher.builder(sinkFailing(new IllegalStateException("x")))
        .name("unprintable-classifier")
        .idFunction(u -> {
          throw new UnprintableException();
        })
        .retryPolicy(RetryPolicy.builder().retryOn(x -> {
          throw classifierBug;
        }).build())
        .listener(new BatcherListener<>() {
          @Override
          public void onFailed(Unprintable item, Throwable cause) {
            listenerCalls.incrementAndGet();
            throw new UnprintableException();
          }
        }).build());
    try (LogCapture log = LogCapture.of(LogCapture.BATCHER)) {
      Throwable t = failureOf(b.submit(new Unprintable("bad")));
      assertThat(t).isInstanceOf(ItemWriteException.class).hasCause(classifierBug);
      assertThat(b.submit(new Unprintable("good"))).succeedsWithin(Duration.ofSeconds(5));
      assertThat(log.lines(Level.ERROR)).anyMatch(l -> l.startsWith(
          "batcher 'unprintable-classifier': failed while handling the result of a batch of 1 "
              + "items; giving them up"));
    }
    assertThat(listenerCalls).hasValue(1);
    assertThat(b.metrics().failed()).isEqualTo(1);
    assertThat(b.metrics().pending()).isZero();
  }
}
