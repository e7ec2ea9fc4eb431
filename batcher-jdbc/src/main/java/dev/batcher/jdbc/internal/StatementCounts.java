package dev.batcher.jdbc.internal;

import java.util.concurrent.atomic.LongAdder;

/**
 * What a sink sent to the database: statements executed (a JDBC batch of n rows counts n, a
 * multi-row INSERT or a COPY counts one) and round trips (each execute, executeBatch, COPY and
 * commit or rollback counts one). Thread-safe.
 *
 * <p>Internal: not API, may change in any release.
 */
public final class StatementCounts {
  private final LongAdder statements = new LongAdder();
  private final LongAdder roundTrips = new LongAdder();

  /** {@code n} statements went to the database in one round trip. */
  public void sent(long n) {
    statements.add(n);
    roundTrips.increment();
  }

  /** A round trip that carried no statement of ours (commit, rollback). */
  public void roundTrip() {
    roundTrips.increment();
  }

  public long statements() {
    return statements.sum();
  }

  public long roundTrips() {
    return roundTrips.sum();
  }
}
