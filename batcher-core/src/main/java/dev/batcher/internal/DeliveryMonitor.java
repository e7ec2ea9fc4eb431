package dev.batcher.internal;

import dev.batcher.DropReason;
import dev.batcher.TimeSource;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * The thread that keeps the delivery-timeout promise ({@code batcher-<name>-monitor}): it drops
 * waiting entries that are too old, drops items of calls in flight as they expire, and abandons
 * a sink call older than the timeout (its worker is interrupted and replaced). It sleeps until
 * the earliest deadline it knows, so it wakes about once per timeout when idle; a dispatch that
 * brings an older deadline (a retried item) wakes it through its {@link Alarm}.
 *
 * <p>It runs until the batcher has terminated and no sink call is left in flight: a call that
 * hangs past termination must still be abandoned, or close() would wait for its worker forever.
 *
 * <p>Internal: not API, may change in any release.
 */
final class DeliveryMonitor<T> implements Runnable {
  /** How long the monitor waits for a producer resuming between its claim and its publish. */
  private static final long LATE_CLAIM_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  /** When the monitor plans to wake next, so that a dispatch can wake it sooner. */
  static final class Alarm {
    /**
     * The monitor's planned wake-up: written by the monitor before each scan and before it parks
     * (plain volatile); a dispatcher that reads an earlier deadline may unpark it needlessly,
     * never miss it, because the monitor scans the in-flight table after writing this.
     */
    private volatile long wakeAt;
    /**
     * The monitor thread; written once while the batcher is wired, before any worker starts
     * (Thread.start orders it before every read by a worker). Volatile only so that no reader
     * can see a stale null; a null read (never, in practice) merely skips an early wake-up.
     */
    private volatile @Nullable Thread thread;

    /** Wakes the monitor if it plans to sleep past {@code deadline}. */
    void wakeIfBefore(long deadline) {
      Thread t = thread;
      if (t != null && deadline - wakeAt < 0) {
        LockSupport.unpark(t);
      }
    }
  }

  private final Thread thread;
  private final Alarm alarm;
  private final TimeSource time;
  private final long deliveryTimeoutNanos;
  private final Intake<T> intake;
  private final BatchFormer<T> former;
  private final SinkWorkers<T> workers;
  private final Settler<T> settler;
  private final FlushTracker flushes;
  private final Lifecycle lifecycle;

  DeliveryMonitor(BatcherConfig<T> config, Alarm alarm, Intake<T> intake, BatchFormer<T> former,
      SinkWorkers<T> workers, Settler<T> settler, FlushTracker flushes, Lifecycle lifecycle) {
    this.alarm = alarm;
    this.time = config.timeSource();
    this.deliveryTimeoutNanos = config.deliveryTimeoutNanos();
    this.intake = intake;
    this.former = former;
    this.workers = workers;
    this.settler = settler;
    this.flushes = flushes;
    this.lifecycle = lifecycle;
    this.thread = SinkWorkers.newThread(config.threadFactory(), this,
        "batcher-" + config.name() + "-monitor");
    alarm.thread = thread;
  }

  void start() {
    thread.start();
  }

  Thread thread() {
    return thread;
  }

  void wake() {
    LockSupport.unpark(thread);
  }

  @Override
  public void run() {
    while (!done()) {
      boolean lateClaims = lifecycle.isAborted() && intake.hasClaims();
      long now = time.nanoTime();
      long next;
      // Raised for the whole scan, before it ends any entry, lowered once its drops are counted
      // and their futures completed: an aborting close waits for that (Lifecycle.unsettled), so
      // it never returns while a future the monitor ended is still incomplete. Two atomic adds
      // per scan.
      lifecycle.beginUnsettled();
      try {
        next = scan(now, lateClaims);
      } finally {
        lifecycle.endUnsettled();
      }
      if (lateClaims) {
        flushes.poll();
        if (intake.hasClaims()) {
          LockSupport.parkNanos(this, LATE_CLAIM_RETRY_NANOS); // real time: a producer resuming
        }
        continue;
      }
      if (done()) {
        return;
      }
      alarm.wakeAt = next;
      Parking.parkUntil(time, this, next);
    }
  }

  /**
   * One look at the calls in flight, and then at the late claims after an abort or else at the
   * waiting entries; commits what it dropped.
   *
   * @return when to look again
   */
  private long scan(long now, boolean lateClaims) {
    long next = now + deliveryTimeoutNanos;
    alarm.wakeAt = next; // before the scan: a batch dispatched during it compares to this
    FlightTable<InFlight<T>> flights = workers.flights();
    for (int i = 0; i < flights.size(); i++) {
      InFlight<T> flight = flights.get(i);
      if (flight != null) {
        next = Math.min(next, checkInFlight(flight, now));
      }
    }
    if (lateClaims) {
      // close(Duration) gave up while producers were between their claim and their publish.
      // Their entries appear as they resume; no worker is left to take them: drop them here.
      // The count is raised before the entries are taken out: see Lifecycle.awaitAbortSettled,
      // which reads the claims first.
      Settlement<T> late = settler.settlement();
      former.dropLateClaims(late);
      late.commit();
      return next;
    }
    Settlement<T> expired = settler.settlement();
    next = Math.min(next, former.expireForMonitor(now, expired));
    expired.commit(); // outside the lock: it completes futures, whose callbacks may block
    return next;
  }

  /**
   * Terminated, nothing in flight, and no late claim to drop. The termination is read before the
   * abort: abort() sets aborted before it terminates, so seeing the termination means seeing the
   * abort.
   */
  private boolean done() {
    return lifecycle.isTerminated() && workers.flights().isEmpty()
        && !(lifecycle.isAborted() && intake.hasClaims());
  }

  /**
   * Drops the entries of an in-flight batch that passed the delivery timeout and abandons the
   * call once it is older than the timeout itself.
   *
   * @return when to look at this batch again
   */
  private long checkInFlight(InFlight<T> flight, long now) {
    // A call whose items have all been dropped is still a healthy call in its slot: abandoning it
    // early would start a second call beside it. Only close() has reason not to wait for it.
    if (now - flight.dispatchedAt >= deliveryTimeoutNanos
        || (lifecycle.isTerminated() && flight.allFinished())) {
      workers.abandon(flight, DropReason.DELIVERY_TIMEOUT);
      return Long.MAX_VALUE;
    }
    long next = flight.dispatchedAt + deliveryTimeoutNanos;
    Settlement<T> s = null;
    for (Entry<T> e : flight.entries) {
      if (e.isFinished()) {
        continue;
      }
      if (now - e.acceptedAt >= deliveryTimeoutNanos) {
        if (s == null) {
          s = settler.settlementKeepingItems(8); // the call still reads them
          flight.markDroppedDuringCall();
        }
        s.drop(e, DropReason.DELIVERY_TIMEOUT);
      } else {
        next = Math.min(next, e.acceptedAt + deliveryTimeoutNanos);
      }
    }
    if (s != null) {
      s.commit();
      if (lifecycle.isTerminated() && flight.allFinished()) { // only close() waits on it now
        workers.abandon(flight, DropReason.DELIVERY_TIMEOUT);
        return Long.MAX_VALUE;
      }
    }
    return next;
  }
}
