package dev.batcher;

import java.time.Duration;

/**
 * The longest duration the builders take: longer ones are clamped to it, so that deadlines
 * computed from them ({@code now + timeout}) never overflow.
 */
final class Durations {
  /**
   * About 4.5 years, far beyond any real timeout: {@code Long.MAX_VALUE / 64} nanoseconds, so that
   * sums of a few of them and a clock reading stay far from overflow.
   */
  static final long MAX_NANOS = Long.MAX_VALUE / 64;
  /** {@link #MAX_NANOS} as a duration, for messages. */
  static final Duration MAX = Duration.ofNanos(MAX_NANOS);

  private Durations() {}

  /** {@return {@code duration} in nanoseconds, clamped to {@link #MAX_NANOS}} */
  static long clampedNanos(Duration duration) {
    return duration.compareTo(MAX) > 0 ? MAX_NANOS : duration.toNanos();
  }
}
