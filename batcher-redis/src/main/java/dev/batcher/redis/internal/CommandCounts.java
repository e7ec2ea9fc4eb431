package dev.batcher.redis.internal;

import java.util.concurrent.atomic.LongAdder;

/**
 * What a sink sent: commands Redis replied to, and round trips. Adders, because several batches in
 * flight count at once and the counts are read rarely (benchmarks, tests).
 *
 * <p>Thread-safe. Internal: not API, may change in any release.
 */
public final class CommandCounts {
  private final LongAdder commands = new LongAdder();
  private final LongAdder roundTrips = new LongAdder();

  /** Counts {@code n} commands replied to. */
  public void commands(int n) {
    commands.add(n);
  }

  /** Counts {@code n} round trips. */
  public void roundTrips(int n) {
    roundTrips.add(n);
  }

  /** {@return the commands counted so far} */
  public long commands() {
    return commands.sum();
  }

  /** {@return the round trips counted so far} */
  public long roundTrips() {
    return roundTrips.sum();
  }
}
