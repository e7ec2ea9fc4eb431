package dev.batcher.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/** The leak watch's exit check: what it reports, and that a failure is reported, not swallowed. */
class LeakWatchTest {
  @Test
  void atExit_aBatcherWhoseCheckThrows_isLoggedAndTheOthersStillReported() {
    Object failing = new Object();
    Object leaking = new Object();
    LeakWatch broken = LeakWatch.watch(failing, "exit-broken", () -> {
      throw new IllegalStateException("count broke");
    }, () -> false, () -> { });
    LeakWatch open = LeakWatch.watch(leaking, "exit-pending", () -> 3, () -> false, () -> { });
    try (LogCapture log = LogCapture.of(LogCapture.BATCHER)) {
      LeakWatch.atExit();

      assertThat(log.all()).anySatisfy(l -> {
        assertThat(l.level()).isEqualTo(Level.WARN);
        assertThat(l.message()).isEqualTo(
            "batcher 'exit-broken': checking it for pending items at JVM exit failed");
        assertThat(l.thrownMessage()).isEqualTo("count broke");
      });
      assertThat(log.lines(Level.WARN, "batcher 'exit-pending'")).containsExactly(
          "batcher 'exit-pending' was still open at JVM exit with 3 item(s) pending; they are "
              + "lost unless it is closed before the JVM exits");
    } finally {
      broken.closed();
      open.closed();
    }
  }
}
