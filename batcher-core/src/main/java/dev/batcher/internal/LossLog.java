package dev.batcher.internal;

import dev.batcher.DropReason;
import dev.batcher.RefusalReason;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 * one volatile flag (and the first such refusal sets it, once per batcher). The counts come from {@link Counters}, which
 * counts every loss anyway: a line reports the counter's growth since the previous line of its
 * reason, so nothing is counted twice, whichever thread writes. Losses that follow a line within
 * its interval are reported with the next loss of their reason, or, if none comes, by {@link
 * #reportUnreported()} when the batcher terminates. Refusals after termination (offers to a closed
 * batcher) have no termination after them: the tail of those that follow a line within its
 * interval is reported by the next refusal after the interval or, if none comes, at JVM exit (one
 * shutdown hook for every batcher, {@link #reportTailsAtExit()}), so that 1,000 offers after close
 * are reported as 1 and then 999, not as 1 alone.
 *
 * <p>Thread-safety: any thread.
 *
 * <p>Internal: not API, may change in any release.
 */
final class LossLog {
  /**
   * Loss logs of terminated batchers that held back a refusal, for {@link #reportTailsAtExit()}:
   * small (no sink, no items), one per such batcher, reported and removed at JVM exit.
   */
  private static final Set<LossLog> TAILS = ConcurrentHashMap.newKeySet();
  /** Whether the exit hook of {@link #TAILS} is registered; guarded by {@code TAILS}. */
  private static boolean hookAdded;

  private final Logger log;
  private final String name;
  private final Counters counters;
  private final RateLimitedLog[] refusalGates;
  private final RateLimitedLog[] dropGates;
  /**
   * Per refusal reason, the counter's value at the last line; moved on only by a gate's winner
   * (a compare-and-set loop in {@link #growth}), so no count is reported twice. No ordering with
   * the counters themselves is relied on: a lagging read of a counter only delays its report.
   */
  private final AtomicLong[] refusalsReported;
  /** Per drop reason, as {@link #refusalsReported} is per refusal reason. */
  private final AtomicLong[] dropsReported;
  private final String[] refusalDetails;
  private final String[] dropDetails;
  /** Ends a rate-limited line: how often such lines come. */
  private final String rateNote;
  /** Set by {@link #reportUnreported()}: the batcher has terminated, no later report comes. */
  private volatile boolean terminated;
  /** Whether this log is in {@link #TAILS}: set by the first refusal held back after termination. */
  private volatile boolean tailWatched;

  LossLog(Logger log, BatcherConfig<?> config, Counters counters) {
    this.log = log;
    this.name = config.name();
    this.counters = counters;
    RefusalReason[] refusals = RefusalReason.values();
    DropReason[] drops = DropReason.values();
    this.refusalGates = new RateLimitedLog[refusals.length];
    this.refusalsReported = new AtomicLong[refusals.length];
    this.refusalDetails = new String[refusals.length];
    for (RefusalReason r : refusals) {
      refusalGates[r.ordinal()] = new RateLimitedLog(log, config.timeSource());
      refusalsReported[r.ordinal()] = new AtomicLong();
      refusalDetails[r.ordinal()] = Admission.describe(config, r);
    }
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
      reportRefusals(reason, rateNote);
    } else if (terminated && !tailWatched) {
      watchTailAtExit();
    }
  }

  /** After termination, a held-back refusal may be the last: have the exit report it. */
  private void watchTailAtExit() {
    synchronized (TAILS) {
      if (tailWatched) {
        return;
      }
      tailWatched = true;
      if (!hookAdded) {
        hookAdded = true;
        Runtime.getRuntime().addShutdownHook(
            new Thread(LossLog::reportTailsAtExit, "batcher-loss-log-exit"));
      }
      TAILS.add(this);
    }
  }

  /**
   * At JVM exit (and from tests): reports the refusals that terminated batchers held back since
   * their last line, which no later refusal reported.
   */
  static void reportTailsAtExit() {
    for (LossLog losses : TAILS) {
      TAILS.remove(losses);
      losses.tailWatched = false;
      losses.reportUnreported();
    }
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
    for (RefusalReason r : RefusalReason.values()) {
      reportRefusals(r, "");
    }
    for (DropReason r : DropReason.values()) {
      if (r != DropReason.CLOSE_TIMEOUT) {
        reportDrops(r, "");
      }
    }
  }

  /** Writes the refusals for {@code reason} that no line has reported yet, if any. */
  private void reportRefusals(RefusalReason reason, String note) {
    int i = reason.ordinal();
    long n = growth(refusalsReported[i], counters.refusedSoFar(reason));
    if (n > 0) {
      log.warn("batcher '{}' refused {} item(s) ({}) since the last report: {}{}", name, n,
          reason, refusalDetails[i], note);
    }
  }

  /** Writes the drops for {@code reason} that no line has reported yet, if any. */
  private void reportDrops(DropReason reason, String note) {
    int i = reason.ordinal();
    long n = growth(dropsReported[i], counters.droppedSoFar(reason));
    if (n > 0) {
      log.warn("batcher '{}' dropped {} item(s) ({}) since the last report: {}{}", name, n,
          reason, dropDetails[i], note);
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
}
