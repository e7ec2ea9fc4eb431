package dev.batcher.internal;

import dev.batcher.TimeSource;

/**
 * Parking on the batcher's {@link TimeSource}.
 *
 * <p>Internal: not API, may change in any release.
 */
final class Parking {
  private Parking() {}

  /**
   * Parks the calling thread on {@code time} until {@code deadline}, reading the clock right
   * before parking so that the wait is measured from now, whatever ran since the caller's read.
   */
  static void parkUntil(TimeSource time, Object blocker, long deadline) {
    long wait = deadline - time.nanoTime();
    if (wait > 0) {
      time.parkNanos(blocker, wait);
    }
  }
}
