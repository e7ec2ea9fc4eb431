package dev.batcher.internal;

import dev.batcher.TimeSource;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * Lets one kind of log line through at most once per interval, so that what can happen per item
 * or per batch (a sink failing every batch, a queue refusing a million items a second) cannot
 * flood the log. Thread-safe, lock-free and allocation-free.
 *
 * <p>The gate is one atomic timestamp, the earliest time the next line may be written. A caller
 * reads the clock and the timestamp; only if the time has come does it try to move the timestamp
 * on by one interval with a compare-and-set, and only the winner writes its line. Losers, and
 * everyone during the interval, return after those two reads. The interval is measured on the
 * batcher's {@link TimeSource}, so that tests pace the log with a manual clock; when that time
 * source throws, the system clock paces the lines instead, so a broken clock neither hides the
 * lines nor floods the log with them.
 *
 * <p>Internal: not API, may change in any release.
 */
final class RateLimitedLog {
  /** At most one line of a kind per this interval: ten seconds. */
  static final long INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
  /** {@link #nextAllowed} before the first line: the first line always passes. */
  private static final long NONE_YET = Long.MIN_VALUE;

  private final Logger log;
  private final TimeSource time;
  private final long intervalNanos;
  /**
   * The earliest clock reading at which the next line may be written. Moved on only by a
   * successful compare-and-set, so exactly one caller per interval writes.
   */
  private final AtomicLong nextAllowed = new AtomicLong(NONE_YET);
  /**
   * Lines {@link #warn} held back since the last one it wrote: atomic increments, taken by the
   * writer's getAndSet. Not ordered with {@link #nextAllowed}: a line held back while another is
   * being written is reported by the next line instead, never lost nor counted twice.
   */
  private final AtomicLong suppressed = new AtomicLong();

  RateLimitedLog(Logger log, TimeSource time) {
    this(log, time, INTERVAL_NANOS);
  }

  RateLimitedLog(Logger log, TimeSource time, long intervalNanos) {
    this.log = log;
    this.time = time;
    this.intervalNanos = intervalNanos;
  }

  /**
   * Whether a line may be written now: true at most once per interval, for the one caller that
   * moved the gate on. The caller that gets true writes the line.
   */
  boolean permit() {
    long now;
    try {
      now = time.nanoTime();
    } catch (RuntimeException | Error clockFailure) {
      // A broken injected clock must not flood the log: pace the lines by the system's clock.
      now = System.nanoTime();
    }
    long allowed = nextAllowed.get();
    if (allowed != NONE_YET && now - allowed < 0) {
      return false;
    }
    return nextAllowed.compareAndSet(allowed, now + intervalNanos);
  }

  /**
   * Writes a WARN line if the gate lets it through; otherwise counts it, and the next line written
   * is preceded by how many were held back.
   */
  void warn(String format, Object... args) {
    if (!log.isWarnEnabled()) {
      return;
    }
    if (!permit()) {
      suppressed.incrementAndGet();
      return;
    }
    long held = suppressed.getAndSet(0);
    if (held > 0) {
      SafeLog.warn(log, "({} similar warning(s) suppressed since the last one)", held);
    }
    SafeLog.warn(log, format, args); // its lines carry user objects and exceptions
  }

  /**
   * Writes how many lines {@link #warn} held back since the last one it wrote, if any, whatever
   * the gate says: for a batcher that has terminated, after which no later line would report
   * them. Lines held back after this are reported by a later call (of either method).
   *
   * @param who names the batcher, as its other lines do
   */
  void reportHeldBack(String who) {
    long held = suppressed.getAndSet(0);
    if (held > 0 && log.isWarnEnabled()) {
      log.warn("{}: {} more warning(s) like those before were suppressed since the last one;"
          + " its metrics count every item", who, held);
    }
  }
}
