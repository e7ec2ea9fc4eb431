package dev.batcher;

import java.util.concurrent.locks.LockSupport;

/**
 * The clock the batcher measures maxDelay, delivery timeouts and latencies with (and paces its
 * log lines by), and the way its threads wait for time to pass. Tests inject a manual
 * implementation so that time-triggered behaviour is exercised deterministically; production code
 * uses {@link #system()}.
 *
 * <p>Implementations must be thread-safe. {@link #parkNanos} may return early (spuriously); the
 * batcher re-checks its condition and parks again. A waiting thread is woken early with {@link
 * LockSupport#unpark(Thread)}, so an implementation must wait with {@link LockSupport}.
 */
public interface TimeSource {

  /** {@return the current time in nanoseconds, from an arbitrary origin, never going backwards} */
  long nanoTime();

  /**
   * Parks the calling thread until about {@code nanos} have passed on this clock, it is unparked,
   * or it returns spuriously.
   *
   * @param blocker the object the thread is waiting on, for thread dumps
   * @param nanos how long to wait; zero or less returns at once
   */
  void parkNanos(Object blocker, long nanos);

  /** {@return the system clock: {@link System#nanoTime()} and {@link LockSupport#parkNanos}} */
  static TimeSource system() {
    return SystemTimeSource.INSTANCE;
  }
}

/** The real clock. */
enum SystemTimeSource implements TimeSource {
  INSTANCE;

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }

  @Override
  public void parkNanos(Object blocker, long nanos) {
    if (nanos > 0) {
      LockSupport.parkNanos(blocker, nanos);
    }
  }

  @Override
  public String toString() {
    return "TimeSource.system()";
  }
}
