package dev.batcher.internal;

import dev.batcher.BatcherMetrics;
import dev.batcher.DropReason;
import dev.batcher.FlushCause;
import dev.batcher.RefusalReason;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * A batcher's counters and histograms, and the {@link BatcherMetrics} snapshot built from them.
 * Every counter is striped ({@link LongAdder}) or lock-free, so any thread may count and read at
 * once; nothing here is on a producer's path but refusals and merges.
 *
 * <p>Internal: not API, may change in any release.
 */
final class Counters {
  /*
   * Ordering: every counter is a LongAdder, whose adds are atomic but whose sum() is not a
   * snapshot (it may miss adds made while it runs). What is relied on: a settlement counts an
   * ending before it releases the entry's capacity and completes its future, so a thread that
   * saw the future complete (or the batcher terminate) sees the count; and snapshot() reads the
   * terminal counters before the submitted count (see there). Nothing else orders them.
   */
  /** Submitted items merged into a waiting entry (coalescing), counted before the merge. */
  final LongAdder merged = new LongAdder();
  /** Items written (a merged entry counts each item merged into it). */
  final LongAdder succeeded = new LongAdder();
  /** Items that failed for good and were not dead-lettered. */
  final LongAdder failed = new LongAdder();
  /** Items that failed for good and that the dead-letter handler took. */
  final LongAdder deadLettered = new LongAdder();
  /** Sends after a backoff (not the first send of an item). */
  final LongAdder retries = new LongAdder();
  /** Splits of failed atomic batches. */
  final LongAdder bisections = new LongAdder();
  /** Refused items, by {@link RefusalReason} ordinal; counted before the refusal is answered. */
  private final LongAdder[] refused = adders(RefusalReason.values().length);
  /** Dropped items, by {@link DropReason} ordinal; counted before capacity is released. */
  private final LongAdder[] dropped = adders(DropReason.values().length);
  /** Sink calls, by {@link FlushCause} ordinal; counted when the call ends or is abandoned. */
  private final LongAdder[] batches = adders(FlushCause.values().length);
  final Histogram batchSizes = new Histogram();
  final Histogram latencies = new Histogram();

  void refused(RefusalReason reason) {
    refused[reason.ordinal()].increment();
  }

  void dropped(DropReason reason, long n) {
    dropped[reason.ordinal()].add(n);
  }

  /** Items refused for {@code reason} since the batcher started. */
  long refusedSoFar(RefusalReason reason) {
    return refused[reason.ordinal()].sum();
  }

  /**
   * The refusal counters themselves, by {@link RefusalReason} ordinal, for a loss log's tail that
   * must outlive neither them nor anything else here (see {@code LossLog.Tail}).
   */
  LongAdder[] refusedCounters() {
    return refused;
  }

  /** Items dropped for {@code reason} since the batcher started. */
  long droppedSoFar(DropReason reason) {
    return dropped[reason.ordinal()].sum();
  }

  /** A sink call ended (completed or abandoned): counts it by cause and records its size. */
  void batch(FlushCause cause, int size) {
    batches[cause.ordinal()].increment();
    batchSizes.record(size);
  }

  /**
   * The snapshot. Terminal counters are read first and the submitted count last: every ending
   * counted was submitted before, so the derived pending count is never negative. Submitted has
   * no counter of its own (that would cost every submit an atomic add): it is the intake's claim
   * numbers less cancelled claims, plus merged and refused items.
   */
  BatcherMetrics snapshot(Intake<?> intake, long waitingAside, int inFlight, int abandoned) {
    long ok = succeeded.sum();
    long lettered = deadLettered.sum();
    long bad = failed.sum();
    Map<RefusalReason, Long> refusedBy = new EnumMap<>(RefusalReason.class);
    long refusedTotal = 0;
    for (RefusalReason r : RefusalReason.values()) {
      long v = refused[r.ordinal()].sum();
      refusedBy.put(r, v);
      refusedTotal += v;
    }
    Map<DropReason, Long> droppedBy = new EnumMap<>(DropReason.class);
    long droppedTotal = 0;
    for (DropReason r : DropReason.values()) {
      long v = dropped[r.ordinal()].sum();
      droppedBy.put(r, v);
      droppedTotal += v;
    }
    Map<FlushCause, Long> batchesBy = new EnumMap<>(FlushCause.class);
    for (FlushCause c : FlushCause.values()) {
      batchesBy.put(c, batches[c.ordinal()].sum());
    }
    long sub = intake.acceptedTotal() + merged.sum() + refusedTotal;
    long pending = Math.max(0, sub - ok - lettered - bad - refusedTotal - droppedTotal);
    long queued = Math.max(0, intake.queued() + waitingAside);
    return new BatcherMetrics(sub, ok, lettered, bad, refusedBy, droppedBy, batchesBy,
        retries.sum(), bisections.sum(), pending, queued, inFlight, abandoned,
        batchSizes.summary(), latencies.summary());
  }

  private static LongAdder[] adders(int n) {
    LongAdder[] a = new LongAdder[n];
    for (int i = 0; i < n; i++) {
      a[i] = new LongAdder();
    }
    return a;
  }
}
