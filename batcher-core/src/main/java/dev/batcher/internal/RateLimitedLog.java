package dev.batcher.internal;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * Logs a warning at most once per interval and counts what it held back, so that a sink failing
 * every batch cannot flood the log. Thread-safe. Uses the real clock: log pacing is not behaviour.
 *
 * <p>Internal: not API, may change in any release.
 */
final class RateLimitedLog {
  private static final long INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(5);

  private final Logger log;
  private final AtomicLong nextAllowed = new AtomicLong(Long.MIN_VALUE);
  private final AtomicLong suppressed = new AtomicLong();

  RateLimitedLog(Logger log) {
    this.log = log;
  }

  void warn(String format, Object... args) {
    if (!log.isWarnEnabled()) {
      return;
    }
    long now = System.nanoTime();
    long allowed = nextAllowed.get();
    if ((allowed != Long.MIN_VALUE && now - allowed < 0)
        || !nextAllowed.compareAndSet(allowed, now + INTERVAL_NANOS)) {
      suppressed.incrementAndGet();
      return;
    }
    long held = suppressed.getAndSet(0);
    if (held > 0) {
      log.warn("({} similar warnings suppressed in the last {} s)", held,
          TimeUnit.NANOSECONDS.toSeconds(INTERVAL_NANOS));
    }
    log.warn(format, args);
  }
}
