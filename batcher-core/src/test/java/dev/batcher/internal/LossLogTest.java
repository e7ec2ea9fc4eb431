package dev.batcher.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.batcher.Batcher;
import dev.batcher.testing.ManualTimeSource;
import dev.batcher.testing.RecordingSink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/**
 * Refusals after the batcher has terminated have no termination after them to report their tail:
 * what a line held back is reported by the next refusal after the interval, when the batcher
 * becomes unreachable, or at JVM exit; meanwhile only a small tail is kept, and not after a line
 * has reported it.
 */
class LossLogTest {
  private static final String CLOSED = " item(s) (CLOSED) since the last report: "
      + "the batcher is closed";
  private static final String EVERY_10_S = "; reported at most once per 10 s per reason";

  private final ManualTimeSource clock = new ManualTimeSource();

  private Batcher<Integer> closed(String name) {
    RecordingSink<Integer> sink = new RecordingSink<>();
    Batcher<Integer> b = Batcher.builder(sink).name(name).timeSource(clock).build();
    assertThat(b.close(Duration.ofSeconds(5))).isTrue();
    return b;
  }

  @Test
  void offersAfterClose_theTailIsReportedAtExit() {
    try (LogCapture log = LogCapture.of(LogCapture.BATCHER)) {
      Batcher<Integer> b = closed("late-offers");
      for (int i = 0; i < 1000; i++) {
        assertThat(b.offer(i)).isFalse();
      }
      assertThat(log.lines(Level.WARN, "batcher 'late-offers'"))
          .containsExactly("batcher 'late-offers' refused 1" + CLOSED + EVERY_10_S);

      LossLog.reportTailsAtExit();

      assertThat(log.lines(Level.WARN, "batcher 'late-offers'")).containsExactly(
          "batcher 'late-offers' refused 1" + CLOSED + EVERY_10_S,
          "batcher 'late-offers' refused 999" + CLOSED);
      LossLog.reportTailsAtExit();
      assertThat(log.lines(Level.WARN, "batcher 'late-offers'")).as("reported once").hasSize(2);
    }
  }

  @Test
  void offersAfterClose_theTailIsReportedByTheNextRefusalAfterTheInterval() {
    try (LogCapture log = LogCapture.of(LogCapture.BATCHER)) {
      Batcher<Integer> b = closed("later-offers");
      for (int i = 0; i < 1000; i++) {
        b.offer(i);
      }
      clock.advance(Duration.ofSeconds(10));
      b.offer(1000);

      assertThat(log.lines(Level.WARN, "batcher 'later-offers'")).containsExactly(
          "batcher 'later-offers' refused 1" + CLOSED + EVERY_10_S,
          "batcher 'later-offers' refused 1000" + CLOSED + EVERY_10_S);
      LossLog.reportTailsAtExit();
      assertThat(log.lines(Level.WARN, "batcher 'later-offers'")).as("nothing left").hasSize(2);
    }
  }

  @Test
  void aTailReportedByALaterLine_isNoLongerKept() {
    try (LogCapture log = LogCapture.of(LogCapture.BATCHER)) {
      Batcher<Integer> b = closed("kept-tail");
      for (int i = 0; i < 10; i++) {
        b.offer(i);
      }
      assertThat(LossLog.tailsKept("kept-tail")).as("held back: kept").isEqualTo(1);

      clock.advance(Duration.ofSeconds(10));
      b.offer(10);

      assertThat(log.lines(Level.WARN, "batcher 'kept-tail'")).containsExactly(
          "batcher 'kept-tail' refused 1" + CLOSED + EVERY_10_S,
          "batcher 'kept-tail' refused 10" + CLOSED + EVERY_10_S);
      assertThat(LossLog.tailsKept("kept-tail")).as("reported: no longer kept").isZero();

      b.offer(11); // held back again: kept again, until reported
      assertThat(LossLog.tailsKept("kept-tail")).isEqualTo(1);
      LossLog.reportTailsAtExit();
      assertThat(LossLog.tailsKept("kept-tail")).isZero();
      assertThat(log.lines(Level.WARN, "batcher 'kept-tail'")).hasSize(3)
          .last().isEqualTo("batcher 'kept-tail' refused 1" + CLOSED);
    }
  }

  /**
   * Closed batchers that held back refusals and were then dropped are not kept until JVM exit:
   * their tails are reported once they are unreachable, and leave the set.
   */
  @Test
  void tailsOfUnreachableBatchers_areReportedAndNotKept() {
    int n = 200;
    try (LogCapture log = LogCapture.of(LogCapture.BATCHER)) {
      List<Batcher<Integer>> batchers = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        Batcher<Integer> b = closed("gone-tail-" + i);
        for (int j = 0; j < 3; j++) {
          b.offer(j);
        }
        batchers.add(b);
      }
      assertThat(LossLog.tailsKept("gone-tail-")).isEqualTo(n);
      batchers.clear();

      await().atMost(Duration.ofSeconds(60)).until(() -> {
        System.gc();
        return LossLog.tailsKept("gone-tail-") == 0;
      });

      assertThat(log.lines(Level.WARN, "batcher 'gone-tail-"))
          .filteredOn(l -> l.endsWith("refused 2" + CLOSED)).hasSize(n);
    }
  }
}
