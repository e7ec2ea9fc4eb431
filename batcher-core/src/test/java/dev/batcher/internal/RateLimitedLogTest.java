package dev.batcher.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.testing.ManualTimeSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/** The log gate: at most one line per interval on the batcher's clock, whoever races for it. */
class RateLimitedLogTest {
  private static final String LOGGER = "dev.batcher.internal.RateLimitedLogTest";

  private final ManualTimeSource clock = new ManualTimeSource();
  private final LogCapture log = LogCapture.of(LOGGER);
  private final RateLimitedLog limited = new RateLimitedLog(LoggerFactory.getLogger(LOGGER), clock);

  @AfterEach
  void stopCapturing() {
    log.close();
  }

  @Test
  void interval_isTenSeconds() {
    assertThat(RateLimitedLog.INTERVAL_NANOS).isEqualTo(Duration.ofSeconds(10).toNanos());
  }

  @Test
  void permit_firstAtOnce_thenOncePerInterval() {
    assertThat(limited.permit()).isTrue();
    assertThat(limited.permit()).isFalse();
    clock.advance(Duration.ofSeconds(10).minusNanos(1));
    assertThat(limited.permit()).isFalse();
    clock.advance(Duration.ofNanos(1));
    assertThat(limited.permit()).isTrue();
    assertThat(limited.permit()).isFalse();
    // The interval counts from the line that was let through, not from the last attempt.
    clock.advance(Duration.ofSeconds(25));
    assertThat(limited.permit()).isTrue();
    clock.advance(Duration.ofSeconds(9));
    assertThat(limited.permit()).isFalse();
  }

  @Test
  void warn_writesTheFirst_thenCountsWhatItHeldBack() {
    limited.warn("line {}", 1);
    limited.warn("line {}", 2);
    limited.warn("line {}", 3);
    assertThat(log.lines(Level.WARN)).containsExactly("line 1");
    clock.advance(Duration.ofSeconds(10));
    limited.warn("line {}", 4);
    assertThat(log.lines(Level.WARN)).containsExactly("line 1",
        "(2 similar warning(s) suppressed since the last one)", "line 4");
  }

  @Test
  void reportHeldBack_writesTheTail_once() {
    limited.reportHeldBack("batcher 'b'");
    assertThat(log.lines(Level.WARN)).as("nothing held back: nothing written").isEmpty();
    limited.warn("line {}", 1);
    limited.warn("line {}", 2);
    limited.warn("line {}", 3);
    limited.reportHeldBack("batcher 'b'");
    limited.reportHeldBack("batcher 'b'");
    assertThat(log.lines(Level.WARN)).containsExactly("line 1", "batcher 'b': 2 more warning(s)"
        + " like those before were suppressed since the last one; its metrics count every item");
  }

  @Test
  void warn_keepsAThrowableArgument() {
    limited.warn("failed {}", "here", new IllegalStateException("boom"));
    assertThat(log.all()).singleElement().satisfies(e -> {
      assertThat(e.message()).isEqualTo("failed here");
      assertThat(e.thrownMessage()).isEqualTo("boom");
    });
  }

  @Test
  void permit_racingThreads_exactlyOneWins() throws Exception {
    int threads = 8;
    CountDownLatch start = new CountDownLatch(1);
    AtomicInteger wins = new AtomicInteger();
    List<Thread> racers = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      Thread t = new Thread(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int j = 0; j < 1000; j++) {
          if (limited.permit()) {
            wins.incrementAndGet();
          }
        }
      }, "racer-" + i);
      t.start();
      racers.add(t);
    }
    start.countDown();
    for (Thread t : racers) {
      t.join();
    }
    assertThat(wins).hasValue(1); // the clock stands still: one interval, one line
  }

  @Test
  void permit_aClockThatThrows_pacesByTheSystemClock_neverFloods() {
    ManualTimeSource brokenClock = new ManualTimeSource();
    brokenClock.onRead(() -> {
      throw new IllegalStateException("clock broke");
    });
    RateLimitedLog broken = new RateLimitedLog(LoggerFactory.getLogger(LOGGER), brokenClock);
    assertThat(broken.permit()).as("the first line goes through").isTrue();
    assertThat(broken.permit()).as("the next waits out the interval").isFalse();
  }
}
