package dev.batcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.testing.Stress;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * close(Duration) returns false if and only if it dropped items, even when it gives up at the
 * very moment a worker has taken a batch out and not yet registered it as in flight, or is
 * settling a call that returned (whose retries it then drops). A close that gave up at once
 * (ZERO) or was interrupted is raced against one item, over and over. A close that answers false
 * returns with every future complete, and the answer must match the CLOSE_TIMEOUT drop count read
 * once the future has completed (so a drop after close answered would show).
 */
class CloseAnswerTest {
  /** Rounds per case; {@code -Dbatcher.stress.scale=10} runs ten times as many. */
  private static final int ROUNDS = 1_000 * Stress.scale();

  /** What the sink does with the item. */
  enum Sink {
    /** Writes it: a drop can only come from the close. */
    SUCCEEDS,
    /** Fails its first attempt retryably: a close may catch it between the call and its retry. */
    FAILS_ONCE
  }

  /** How the close gives up. */
  enum GiveUp {
    /** close(ZERO): gives up at once unless everything has ended already. */
    TIMEOUT,
    /** close(5 s) on an interrupted thread: gives up at once, keeping the interrupt. */
    INTERRUPT
  }

  @ParameterizedTest
  @EnumSource(Sink.class)
  void closeZero_answersFalseIffItDropped_looped(Sink sink) {
    race(sink, GiveUp.TIMEOUT);
  }

  @ParameterizedTest
  @EnumSource(Sink.class)
  void interruptedClose_answersFalseIffItDropped_looped(Sink sink) {
    race(sink, GiveUp.INTERRUPT);
  }

  private static void race(Sink sink, GiveUp giveUp) {
    int dropping = 0;
    for (int round = 0; round < ROUNDS; round++) {
      Batcher<String> b = Batcher.builder(sinkThat(sink)).name("close-answer-" + round)
          .retryPolicy(RetryPolicy.builder().maxAttempts(1_000).initialBackoff(Duration.ZERO)
              .retryOn(t -> true).build())
          .build();
      CompletableFuture<Void> f = b.submit("x");
      boolean answer;
      if (giveUp == GiveUp.INTERRUPT) {
        Thread.currentThread().interrupt();
        answer = b.close(Duration.ofSeconds(5));
        assertThat(Thread.interrupted()).as("round %d: interrupt kept", round).isTrue();
      } else {
        answer = b.close(Duration.ZERO);
      }
      if (!answer) {
        // It gave up and dropped: everything has ended by the time it returns.
        assertThat(f).as("round %d: the future, when close returned false", round).isDone();
      }
      // Counted once the future has completed: a drop after close answered would show here.
      // (A close that did not give up may return a moment before the worker completes the
      // futures of the batch that let the batcher terminate.)
      assertThat(f.handle((v, t) -> null)).succeedsWithin(Duration.ofSeconds(5));
      long dropped = b.metrics().dropped().get(DropReason.CLOSE_TIMEOUT);
      assertThat(answer).as("round %d: close answered %s with %d dropped", round, answer, dropped)
          .isEqualTo(dropped == 0);
      assertThat(f.isCompletedExceptionally()).as("round %d: the future failed", round)
          .isEqualTo(dropped > 0);
      if (dropped > 0) {
        dropping++;
      }
    }
    // The race goes both ways: both answers must have been seen for the test to mean anything.
    assertThat(dropping).as("rounds that dropped").isBetween(1, ROUNDS - 1);
  }

  private static BatchSink<String> sinkThat(Sink sink) {
    if (sink == Sink.SUCCEEDS) {
      return batch -> BatchResult.success();
    }
    AtomicInteger calls = new AtomicInteger();
    return batch -> {
      if (calls.getAndIncrement() == 0) {
        throw new IOException("transient");
      }
      return BatchResult.success();
    };
  }
}
