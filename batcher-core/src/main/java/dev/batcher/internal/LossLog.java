package dev.batcher.internal;

import dev.batcher.DropReason;
import dev.batcher.RefusalReason;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;

/**
 * Reports lost items in the log, so that a fire-and-forget {@code offer} or {@code submit} whose
 * future nobody reads does not lose items with no trace but the metrics: every refusal reason, and
 * the drops by eviction and by delivery timeout, each at most one WARN line per {@link
 * RateLimitedLog#INTERVAL_NANOS interval}, saying how many items were lost for that reason since
 * its previous line. Drops by a timed-out close are not reported here: the close itself logs them.
 *
 * <p>Cost: nothing on the accepting path (it is never called there). On a refusal or a drop, a
 * level check, a clock reading and a read of the reason's gate; only the one caller per interval
 * that wins the gate sums the counter and writes. A refusal held back after termination also reads
 * one volatile flag (and the first such refusal after a line sets it). The counts come from
 * {@link Counters}, which counts every loss anyway: a line reports the counter's growth since the previous line of its
 * reason, so nothing is counted twice, whichever thread writes. Losses that follow a line within
 * its interval are reported with the next loss of their reason, or, if none comes, by {@link
 * #reportUnreported()} when the batcher terminates. Refusals after termination (offers to a closed
 * batcher) have no termination after them: the tail of those that follow a line within its
 * interval is reported by the next refusal after the interval or, if none comes, when the batcher
 * becomes unreachable (the shared {@link LeakWatch} cleaner) or at JVM exit (its shutdown hook,
 * {@link #reportTailsAtExit()}), so that 1,000 offers after close are reported as 1 and then 999,
 * not as 1 alone. Until then only a small {@link Tail} is kept, which references neither this log
 * nor the batcher's other counters, and leaves {@link #TAILS} once a line has reported it.
 *
 * <p>Thread-safety: any thread.
 *
 * <p>Internal: not API, may change in any release.
 */
final class LossLog {
  /**
   * Tails of terminated batchers that held back a refusal, for {@link #reportTailsAtExit()}. An
   * entry leaves when a later line has reported its refusals, when its batcher has become
   * unreachable (reported then), or at exit. Guarded by itself for adding and removing, together
   * with {@link Tail#watched}.
   */
  private static final Set<Tail> TAILS = ConcurrentHashMap.newKeySet();

  private final Logger log;
  private final Counters counters;
  private final RateLimitedLog[] refusalGates;
  private final RateLimitedLog[] dropGates;
  /** The refusals' counts and lines: all that a terminated batcher's tail needs. */
  private final Tail refusals;
  /** Per drop reason, the counter's value at the last line; see {@link Tail#reported}. */
  private final AtomicLong[] dropsReported;
  private final String[] dropDetails;
  /** Ends a rate-limited line: how often such lines come. */
  private final String rateNote;
  /**
   * Set by {@link #reportUnreported()}: the batcher has terminated, no later report comes. A
   * plain volatile flag: a refusal that reads it false (so does not watch its tail) counted itself
   * before, and the termination's report, after setting it, reads that count; a refusal that reads
   * it true watches its tail.
   */
  private volatile boolean terminated;
  /** Whether the cleaner reports {@link #refusals} once this log is unreachable; under TAILS. */
  private boolean cleanerRegistered;

  LossLog(Logger log, BatcherConfig<?> config, Counters counters) {
    this.log = log;
    this.counters = counters;
    RefusalReason[] refusalReasons = RefusalReason.values();
    DropReason[] drops = DropReason.values();
    this.refusalGates = new RateLimitedLog[refusalReasons.length];
    String[] refusalDetails = new String[refusalReasons.length];
    for (RefusalReason r : refusalReasons) {
      refusalGates[r.ordinal()] = new RateLimitedLog(log, config.timeSource());
      refusalDetails[r.ordinal()] = Admission.describe(config, r);
    }
    this.refusals = new Tail(log, config.name(), counters.refusedCounters(), refusalDetails);
    this.dropGates = new RateLimitedLog[drops.length];
    this.dropsReported = new AtomicLong[drops.length];
    this.dropDetails = new String[drops.length];
    for (DropReason r : drops) {
      dropGates[r.ordinal()] = new RateLimitedLog(log, config.timeSource());
      dropsReported[r.ordinal()] = new AtomicLong();
      dropDetails[r.ordinal()] = Settler.describe(config, r);
    }
    this.rateNote = "; reported at most once per "
        + TimeUnit.NANOSECONDS.toSeconds(RateLimitedLog.INTERVAL_NANOS) + " s per reason";
  }

  /** Items were refused for {@code reason}, and counted already. */
  void refused(RefusalReason reason) {
    if (!log.isWarnEnabled()) {
      return;
    }
    if (refusalGates[reason.ordinal()].permit()) {
      if (terminated) {
        // This line reports the tail of its reason: the entry leaves first, then the counts are
        // read, and any reason left with refusals unreported is watched again (see Tail#watched).
        refusals.unwatch();
        refusals.report(reason, rateNote);
        if (refusals.hasUnreported()) {
          watchTail();
        }
      } else {
        refusals.report(reason, rateNote);
      }
    } else if (terminated && !refusals.watched) {
      watchTail();
    }
  }

  /**
   * After termination, a held-back refusal may be the last: have it reported when the batcher
   * becomes unreachable, or at exit, whichever comes first.
   */
  private void watchTail() {
    synchronized (TAILS) {
      if (refusals.watched) {
        return;
      }
      refusals.watched = true;
      TAILS.add(refusals);
      if (!cleanerRegistered) {
        cleanerRegistered = true;
        LeakWatch.whenUnreachable(this, refusals::reportAtEnd); // the Tail holds nothing of this
      }
    }
  }

  /**
   * At JVM exit (and from tests): reports the refusals that terminated batchers held back since
   * their last line, which no later refusal reported.
   */
  static void reportTailsAtExit() {
    for (Tail tail : TAILS) {
      tail.reportAtEnd();
    }
  }

  /** Test seam: how many tails of batchers whose name starts with {@code prefix} are kept. */
  static long tailsKept(String prefix) {
    return TAILS.stream().filter(t -> t.name.startsWith(prefix)).count();
  }

  /** Items were dropped for {@code reason}, and counted already. */
  void dropped(DropReason reason) {
    if (reason != DropReason.CLOSE_TIMEOUT && log.isWarnEnabled()
        && dropGates[reason.ordinal()].permit()) {
      reportDrops(reason, rateNote);
    }
  }

  /**
   * Reports, for every reason, the losses no line has reported yet, whatever the interval: called
   * once the batcher has terminated, so the tail of a burst is not left out.
   */
  void reportUnreported() {
    terminated = true;
    if (!log.isWarnEnabled()) {
      return;
    }
    refusals.reportAll();
    for (DropReason r : DropReason.values()) {
      if (r != DropReason.CLOSE_TIMEOUT) {
        reportDrops(r, "");
      }
    }
  }

  /** Writes the drops for {@code reason} that no line has reported yet, if any. */
  private void reportDrops(DropReason reason, String note) {
    int i = reason.ordinal();
    long n = growth(dropsReported[i], counters.droppedSoFar(reason));
    if (n > 0) {
      log.warn("batcher '{}' dropped {} item(s) ({}) since the last report: {}{}",
          refusals.name, n, reason, dropDetails[i], note);
    }
  }

  /**
   * Moves {@code reported} on to {@code total} and returns by how much it grew. A counter's sum
   * read later is never smaller for counts finished before, but a sum read during increments may
   * lag; the maximum keeps a lagging reading from counting anything twice.
   */
  private static long growth(AtomicLong reported, long total) {
    long before = reported.getAndAccumulate(total, Math::max);
    return total - before;
  }

  /**
   * The refusals' side of a loss log: their counters (shared with {@link Counters}), what the
   * lines reported of them, and how to write a line. A terminated batcher's tail of refusals is
   * reported from this alone, so that waiting for it keeps a few small objects, not the log with
   * its gates and clock, nor the counters with their histograms.
   */
  static final class Tail {
    private final Logger log;
    final String name;
    /** The batcher's refusal counters, by {@link RefusalReason} ordinal. */
    private final LongAdder[] refused;
    /**
     * Per refusal reason, the counter's value at the last line; moved on only by a line's writer
     * (a compare-and-set loop in {@link #growth}), so no count is reported twice. No ordering with
     * the counters themselves is relied on: a lagging read of a counter only delays its report.
     */
    private final AtomicLong[] reported;
    private final String[] details;
    /**
     * Whether this tail is in {@link #TAILS}; written only under that set's lock, read without it
     * by refusals after termination. The order relied on (both volatile, so sequentially
     * consistent): a refusal counts itself and then reads this; a line's writer clears it (and
     * removes the entry) and then reads the counts. A refusal that reads true is thus counted in
     * what the writer reads, or in a later reading; one that reads false watches the tail itself.
     */
    volatile boolean watched;

    Tail(Logger log, String name, LongAdder[] refused, String[] details) {
      this.log = log;
      this.name = name;
      this.refused = refused;
      this.details = details;
      this.reported = new AtomicLong[refused.length];
      for (int i = 0; i < reported.length; i++) {
        reported[i] = new AtomicLong();
      }
    }

    /** Writes the refusals for {@code reason} that no line has reported yet, if any. */
    void report(RefusalReason reason, String note) {
      int i = reason.ordinal();
      long n = growth(reported[i], refused[i].sum());
      if (n > 0) {
        log.warn("batcher '{}' refused {} item(s) ({}) since the last report: {}{}", name, n,
            reason, details[i], note);
      }
    }

    /** Writes, for every reason, the refusals no line has reported yet. */
    void reportAll() {
      for (RefusalReason r : RefusalReason.values()) {
        report(r, "");
      }
    }

    /** Whether some reason has refusals that no line has reported. */
    boolean hasUnreported() {
      for (int i = 0; i < refused.length; i++) {
        if (refused[i].sum() > reported[i].get()) {
          return true;
        }
      }
      return false;
    }

    /** Leaves {@link #TAILS}: a line is about to report it. */
    void unwatch() {
      synchronized (TAILS) {
        watched = false;
        TAILS.remove(this);
      }
    }

    /** The batcher is unreachable, or the JVM exits: leaves the set and reports what is left. */
    void reportAtEnd() {
      unwatch();
      if (log.isWarnEnabled()) {
        reportAll();
      }
    }
  }
}
