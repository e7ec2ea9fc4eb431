package dev.batcher.redis.internal;

import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;

/**
 * The worker's pause and log after a failed round: an exponential backoff (from {@link
 * #FLOOR_MILLIS} doubling to {@link #CAP_MILLIS}, back to the floor after a success) and a WARN
 * limited to one line every {@link #LOG_INTERVAL_MILLIS}: the first failure at once, then the count
 * of failed rounds since the last line. One line when a round succeeds again. So an outage of Redis
 * costs a handful of log lines and a few requests a second, whatever the worker's {@code block}.
 *
 * <p>Used by the worker's thread only; not thread-safe. Internal: not API, may change in any
 * release.
 */
public final class OutageLog {
  /** The first pause after a failed round, in milliseconds. */
  public static final long FLOOR_MILLIS = 100;
  /** The longest pause between two failed rounds, in milliseconds. */
  public static final long CAP_MILLIS = 5_000;
  /** The least time between two WARN lines of one outage, in milliseconds. */
  public static final long LOG_INTERVAL_MILLIS = 10_000;

  private final Logger log;
  private final String what;
  private long failures; // failed rounds in this outage; 0: no outage
  private long unlogged; // failed rounds since the last line
  private long lastLogNanos;
  private long pauseMillis = FLOOR_MILLIS;

  /** A log of outages on {@code log}, each line starting with {@code what}. */
  public OutageLog(Logger log, String what) {
    this.log = log;
    this.what = what;
  }

  /**
   * Records a failed round, logs it if due, and {@return how long to pause before the next, in
   * milliseconds}: doubling from the floor to the cap.
   */
  public long failed(Throwable failure) {
    long now = System.nanoTime();
    long pause = pauseMillis;
    pauseMillis = Math.min(CAP_MILLIS, pauseMillis * 2);
    failures++;
    unlogged++;
    if (failures == 1) {
      log.warn("{}: a round failed ({}); trying again with a backoff of up to {} ms", what,
          failure.toString(), CAP_MILLIS, failure);
      unlogged = 0;
      lastLogNanos = now;
    } else if (now - lastLogNanos >= TimeUnit.MILLISECONDS.toNanos(LOG_INTERVAL_MILLIS)) {
      log.warn("{}: still failing, {} more failed round(s) in the last {} s; latest: {}", what,
          unlogged, TimeUnit.NANOSECONDS.toSeconds(now - lastLogNanos), failure.toString());
      unlogged = 0;
      lastLogNanos = now;
    }
    return pause;
  }

  /** Records a round that succeeded: ends an outage (with one line) and resets the backoff. */
  public void succeeded() {
    if (failures > 0) {
      log.info("{}: recovered after {} failed round(s)", what, failures);
      failures = 0;
      unlogged = 0;
      pauseMillis = FLOOR_MILLIS;
    }
  }

  /** {@return the failed rounds of the current outage; 0 when there is none} */
  public long failures() {
    return failures;
  }
}
