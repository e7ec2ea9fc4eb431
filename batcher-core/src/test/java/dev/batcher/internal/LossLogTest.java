package dev.batcher.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.Batcher;
import dev.batcher.testing.ManualTimeSource;
import dev.batcher.testing.RecordingSink;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/**
 * Refusals after the batcher has terminated have no termination after them to report their tail:
 * what a line held back is reported by the next refusal after the interval, or at JVM exit.
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
}
