package dev.batcher.internal;

import dev.batcher.DropReason;
import dev.batcher.FlushCause;
import dev.batcher.TimeSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * Forms batches: one worker at a time holds the consumer lock, waits for the next batch (idle,
 * waiting out maxDelay, or at once when natural batching or a flush asks) and takes it out of the
 * {@link WaitingRoom} and the {@link RetryQueue}. Everything the lock guards lives here: the front,
 * the retry heap, the scratch array and the closing of flush epochs. What the former drops on the
 * way (expired entries) and the flushes it may complete are applied by {@link #takeBatch()} after
 * the lock is released, because completing futures runs callbacks that may block or call back into
 * the batcher.
 *
 * <p>See {@code docs/design.md}, "Forming a batch", for the states and the wake-up handshake
 * with producers ({@link FormerSignal}).
 *
 * <p>Thread-safety: {@link #takeBatch()} from worker threads (one forms at a time); {@link
 * #expireForMonitor}, {@link #dropLateClaims}, {@link #dropAll}, {@link #closeEpochsNow} and
 * {@link #delayingSince()} from any thread.
 *
 * <p>Internal: not API, may change in any release.
 */
final class BatchFormer<T> {
  private static final int IDLE = FormerSignal.IDLE;
  private static final int DELAYING = FormerSignal.DELAYING;
  private static final int SATURATED = FormerSignal.SATURATED;
  private static final int RUNNING = FormerSignal.RUNNING;
  /** Busy-wait rounds for a claimed head slot to be published before parking briefly. */
  private static final int PUBLISH_SPINS = 64;
  /** A former that has not found the intake empty for this long is saturated. */
  private static final long SATURATION_NANOS = TimeUnit.MICROSECONDS.toNanos(200);
  /**
   * How long a saturated former with natural batching lets a batch fill, from its oldest item, at
   * most (never more than half the delivery timeout).
   */
  private static final long SATURATED_LINGER_NANOS = TimeUnit.MICROSECONDS.toNanos(50);
  /** How long the former parks when a claimed head slot is slow to be published. */
  private static final long PUBLISH_WAIT_NANOS = TimeUnit.MICROSECONDS.toNanos(50);
  /** How often the monitor looks again when the former holds the consumer lock. */
  private static final long MONITOR_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  private final ReentrantLock lock = new ReentrantLock();
  private final WaitingRoom<T> waiting;
  private final Intake<T> intake;
  private final RetryQueue<T> retries;
  private final FormerSignal signal;
  private final FlushTracker flushes;
  private final Lifecycle lifecycle;
  private final Settler<T> settler;
  private final TimeSource time;
  private final int maxBatchSize;
  private final long maxBatchWeight;
  private final boolean plain; // no weights, no keys: batches are a plain run over the ring
  private final long maxDelayNanos;
  private final double jitter;
  private final long deliveryTimeoutNanos;
  /** SATURATED_LINGER_NANOS, or half the delivery timeout if that is shorter; 0: never. */
  private final long saturatedLingerNanos;

  // ---- guarded by lock
  /** Where the former gathers a plain batch before copying it out. */
  private final Entry<T>[] scratch;
  /** When the former last found the intake empty. */
  private long lastIdleAt;
  /** Set when the former closed a flush epoch: complete flushes once the lock is released. */
  private boolean pollFlushes;
  /** Entries the former dropped while forming, committed once it releases the lock. */
  private Settlement<T> deferred;
  /** Returned by nextBatch() when it has deferred work to do outside the lock before going on. */
  private final FormedBatch<T> deferredMarker =
      new FormedBatch<>(List.of(), FlushCause.DELAY, 0, false, false, false);

  /**
   * The acceptance time of the head while the former waits out the delay, for the monitor. A
   * plain volatile write before the DELAYING state is published; the monitor reads it after
   * reading the state.
   */
  private volatile long delayingSince;

  /**
   * Test seam: run by the former in every forming round, past its abort and flush checks and
   * right before it reads the clock. Null outside tests.
   */
  private volatile @Nullable Runnable roundProbe;
  /**
   * Test seam: see {@link #claimWaits()}. Written only by the former, on a slow path; volatile so
   * that a test thread reads the latest count.
   */
  private volatile long claimWaits;

  @SuppressWarnings("unchecked")
  BatchFormer(BatcherConfig<T> config, WaitingRoom<T> waiting, RetryQueue<T> retries,
      FormerSignal signal, FlushTracker flushes, Lifecycle lifecycle, Settler<T> settler) {
    this.waiting = waiting;
    this.intake = waiting.intake;
    this.retries = retries;
    this.signal = signal;
    this.flushes = flushes;
    this.lifecycle = lifecycle;
    this.settler = settler;
    this.time = config.timeSource();
    this.maxBatchSize = config.maxBatchSize();
    this.maxBatchWeight = config.maxBatchWeight();
    this.plain = config.weigher() == null && config.coalesceKey() == null;
    this.maxDelayNanos = config.maxDelayNanos();
    this.jitter = config.maxDelayJitter();
    this.deliveryTimeoutNanos = config.deliveryTimeoutNanos();
    this.saturatedLingerNanos = Math.min(SATURATED_LINGER_NANOS, deliveryTimeoutNanos / 2);
    this.scratch = (Entry<T>[]) new Entry<?>[Math.min(maxBatchSize, config.queueCapacity())];
    this.deferred = settler.settlement();
    this.lastIdleAt = time.nanoTime();
  }

  /**
   * Waits for the next batch and takes it, committing outside the lock whatever the former
   * dropped on the way and completing the flushes it made complete.
   *
   * @return the batch, or null once the batcher has terminated or been aborted; the caller must
   *     call {@link Lifecycle#endUnsettled()} once the batch is in the flight table or dropped
   */
  @Nullable FormedBatch<T> takeBatch() {
    while (true) {
      FormedBatch<T> batch;
      Settlement<T> drops = null;
      boolean epochsClosed;
      boolean holds; // whether this round raised Lifecycle.unsettled
      lock.lock();
      try {
        try {
          batch = nextBatch();
        } finally {
          signal.set(RUNNING); // leaving the forming loop: its clock reading goes stale
        }
        if (!deferred.isEmpty()) { // swapped under the lock: another former fills a fresh one
          drops = deferred;
          deferred = settler.settlement();
        }
        epochsClosed = pollFlushes;
        pollFlushes = false;
        // Under the lock, which an abort takes after marking itself: until the worker has put the
        // batch in the flight table (or dropped it), and until the drops ended here are counted
        // and their futures completed, the abort cannot see them. One raise covers both; the
        // worker lowers it for a batch (SinkWorkers.dispatch), this method otherwise.
        holds = drops != null || (batch != null && batch != deferredMarker);
        if (holds) {
          lifecycle.beginUnsettled();
        }
      } finally {
        lock.unlock();
      }
      boolean handedOver = false;
      try {
        if (drops != null) {
          drops.commit();
        }
        if (epochsClosed) {
          flushes.poll();
        }
        if (batch == null) {
          closeEpochsOnExit();
          return null;
        }
        if (batch != deferredMarker) {
          handedOver = true;
          return batch;
        }
      } finally {
        if (holds && !handedOver) {
          lifecycle.endUnsettled(); // also when committing threw: the count must not stay raised
        }
      }
    }
  }

  /**
   * Waits for the next batch and takes it out. Called with the lock held.
   *
   * @return the batch, {@link #deferredMarker} when there is work to do outside the lock first,
   *     or null when the batcher has terminated or been aborted
   */
  private @Nullable FormedBatch<T> nextBatch() {
    signal.formedBy(Thread.currentThread()); // a write only when another worker forms
    long extraLinger = -1; // jitter, drawn once per batch
    boolean saturatedLingered = false; // a saturated former lingers once per batch, at most
    while (true) {
      if (lifecycle.isAborted()) {
        closeFlushedEpochs(); // takeBatch completes what this closed once the lock is released
        return null;
      }
      if (pollFlushes || closeFlushedEpochs()) {
        return deferredMarker; // complete the flushes outside the lock, then come back
      }
      Runnable probe = roundProbe;
      if (probe != null) {
        probe.run();
      }
      long now = time.nanoTime();
      signal.forming(now); // producers stamp items with this reading meanwhile
      retries.pull();
      waiting.expire(now, deliveryTimeoutNanos, deferred);
      if (!deferred.isEmpty()) {
        return deferredMarker; // commit the drops outside the lock, then come back
      }
      RetryQueue.Group<T> retry = retries.peek();
      if (retry != null && retry.notBefore - now <= 0) {
        FormedBatch<T> batch = takeRetries(now);
        if (batch != null) {
          return batch;
        }
        continue;
      }
      Entry<T> head = waiting.head();
      if (head == null) {
        if (lifecycle.isClosed() && intake.accepted() == 0) {
          closeFlushedEpochs(); // everything is taken out: every ended epoch can close
          return null;
        }
        awaitArrival(retry);
        continue;
      }
      // Natural batching (no maxDelay) takes whatever is there, without counting it (counting
      // reads the producers' claim counter and costs them a cache miss), unless the former is
      // saturated: it has not found the intake empty for a while. Then whatever is there is a
      // sliver, the former spends its time on per-batch work and on the very cache lines the
      // producers are writing, and throughput drops while latency does not improve (items queue
      // up anyway). So a saturated former lets the batch fill, once per batch, for at most
      // saturatedLingerNanos from its oldest item; it is back to natural batching as soon as it
      // finds the intake empty.
      long linger = maxDelayNanos;
      boolean saturated = linger == 0 && !saturatedLingered && saturatedLingerNanos > 0
          && now - lastIdleAt > SATURATION_NANOS;
      if (saturated) {
        linger = saturatedLingerNanos;
      }
      boolean urgent = linger == 0 || lifecycle.isClosed() || flushes.pending();
      boolean fullByCount = !urgent && waiting.count() >= maxBatchSize;
      boolean full = fullByCount || (!urgent && waiting.fullByWeight(maxBatchWeight));
      if (!full && !urgent) {
        if (extraLinger < 0) {
          extraLinger = jitter == 0 ? 0
              : (long) (ThreadLocalRandom.current().nextDouble() * jitter * maxDelayNanos);
        }
        long deadline = head.acceptedAt + linger + extraLinger;
        if (retry != null && retry.notBefore - deadline < 0) {
          deadline = retry.notBefore;
        }
        if (deadline - now > 0) {
          if (linger(head, deadline, now, saturated)) {
            saturatedLingered = true;
          }
          continue;
        }
      }
      FlushCause hint = lifecycle.isClosed() ? FlushCause.CLOSE
          : flushes.pending() ? FlushCause.FLUSH : FlushCause.DELAY;
      // A batch found full by count may include claims not yet published: drain waits for them
      // rather than sending the batch short, which would leave the rest a whole maxDelay. A
      // saturated former does not wait: what it leaves goes in the very next batch, and waiting
      // for a producer preempted between claim and publish would idle the former.
      FormedBatch<T> batch = drain(null, 0, hint, fullByCount && !saturated);
      if (batch != null) {
        return batch;
      }
    }
  }

  /**
   * Nothing is waiting: parks until a producer, a retry, a flush or close wakes the former. No
   * spinning first: a former that polls the ring while producers write it makes them pay a
   * cross-core miss per cache line, and its batches stay tiny; parked, it is woken by the next
   * producer and then finds a batch's worth. Publishes IDLE, then looks again, so that a producer
   * that claimed a slot (or a worker that handed over a retry, or a flush) either sees IDLE and
   * wakes it or is seen here: both sides are sequentially consistent.
   */
  private void awaitArrival(RetryQueue.@Nullable Group<T> retry) {
    signal.set(IDLE);
    if (intake.peek() == null && retries.inboxIsEmpty() && !lifecycle.isAborted()
        && !(lifecycle.isClosed() && intake.accepted() == 0) && !closeFlushedEpochs()) {
      if (!intake.hasClaims()) {
        if (retry != null) {
          Parking.parkUntil(time, this, retry.notBefore); // until the next retry is due
        } else {
          LockSupport.park(this);
        }
      } else if (!awaitPublish()) {
        // A producer has claimed the head slot and not published it yet: preempted, most likely.
        // It reads our state after publishing, so it will wake us; the bounded park covers only
        // a publish that was still on its way to memory when it read the state.
        LockSupport.parkNanos(this, PUBLISH_WAIT_NANOS);
      }
    }
    signal.set(RUNNING);
    // The intake was empty until just now: whatever arrived while we were parked is fresh.
    lastIdleAt = time.nanoTime();
  }

  /**
   * Parks until the delayed batch's {@code deadline}, or until a producer fills the batch.
   * Publishes the front and DELAYING (or SATURATED), then looks again: the same handshake as for
   * IDLE.
   *
   * @return true if this was a saturated former's one pause for the batch
   */
  private boolean linger(Entry<T> head, long deadline, long now, boolean saturated) {
    waiting.publishFront();
    delayingSince = head.acceptedAt;
    signal.set(saturated ? SATURATED : DELAYING);
    boolean paused = false;
    if (waiting.count() < maxBatchSize && !waiting.fullByWeight(maxBatchWeight)
        && !lifecycle.isClosed() && !flushes.pending() && !lifecycle.isAborted()
        && retries.inboxIsEmpty()) {
      if (saturated) {
        // A pause of real time, whatever the time source: with a manual clock that nobody
        // advances, a saturated former still sends its batch after this one pause.
        paused = true;
        LockSupport.parkNanos(this, deadline - now);
      } else {
        Parking.parkUntil(time, this, deadline);
      }
    }
    signal.set(RUNNING);
    return paused;
  }

  /**
   * A producer has claimed the head slot and not yet published it: it is a few instructions away,
   * unless it was preempted. Waits a moment for that slot alone (not for the intake's counters,
   * which the producers write).
   *
   * @return true if the slot was published meanwhile
   */
  private boolean awaitPublish() {
    for (int i = 0; i < PUBLISH_SPINS; i++) {
      Thread.onSpinWait();
      if (intake.peek() != null) {
        return true;
      }
    }
    return false;
  }

  /**
   * The batch was found full by counting claims, and the next one is claimed but not yet
   * published: waits for it (spinning, then parking briefly in real time; the producer is a few
   * instructions from its publish unless it was preempted). Without this wait, a batch counted
   * full would go out short, and its last items would wait a whole maxDelay for the next one.
   *
   * @return true if the claim may be taken now (published, or cancelled and skipped); false if
   *     there is no claim left to wait for, or the batcher was aborted
   */
  private boolean awaitClaimed() {
    while (intake.hasClaims() && !lifecycle.isAborted()) {
      if (awaitPublish()) {
        return true;
      }
      claimWaits++;
      LockSupport.parkNanos(this, PUBLISH_WAIT_NANOS);
    }
    return false;
  }

  /** Test seam: how often the former parked waiting for a counted claim to be published. */
  long claimWaits() {
    return claimWaits;
  }

  /**
   * While a flush waits, closes the epochs whose entries have all been taken out. Called with the
   * lock held.
   *
   * @return true if one was closed: its flush may complete, once the lock is released
   */
  private boolean closeFlushedEpochs() {
    if (flushes.pending() && intake.closeConsumedEpochs()) {
      pollFlushes = true;
      return true;
    }
    return false;
  }

  /**
   * Forms a batch from due retries: a pinned group alone, or due entries topped up with waiting
   * items. Called with the lock held.
   */
  private @Nullable FormedBatch<T> takeRetries(long now) {
    RetryQueue.Group<T> g = retries.peek();
    if (g != null && g.pinned) {
      boolean isolating = g.isolating;
      List<Entry<T>> entries = retries.takePinned(now, deliveryTimeoutNanos, deferred);
      if (entries == null) {
        return null;
      }
      long weight = 0;
      for (Entry<T> e : entries) {
        weight += e.weight();
      }
      return new FormedBatch<>(entries, FlushCause.RETRY, weight, true, true, isolating);
    }
    List<Entry<T>> batch =
        retries.takeDue(now, maxBatchSize, maxBatchWeight, deliveryTimeoutNanos, deferred);
    if (batch.isEmpty()) {
      return null;
    }
    long weight = 0;
    for (Entry<T> e : batch) {
      weight += e.weight();
    }
    // Retried items may share a batch with newer ones: acceptance order is not kept for them.
    return drain(batch, weight, FlushCause.RETRY, false);
  }

  /**
   * Takes up to one batch's worth of waiting entries, in order, after {@code started} (due
   * retries) if given. Called with the lock held.
   *
   * @param awaitClaims wait for claimed slots not yet published (the batch was counted full)
   */
  private @Nullable FormedBatch<T> drain(
      @Nullable List<Entry<T>> started, long startWeight, FlushCause hint, boolean awaitClaims) {
    long weight = startWeight;
    FlushCause cause = null;
    List<Entry<T>> batch;
    if (started == null && plain && waiting.frontIsEmpty()) {
      // The common case: no weights, no keys, nothing set aside; a plain run over the ring into a
      // reused array, copied out at its exact size.
      Entry<T>[] into = scratch;
      int n = 0;
      while (n < into.length) {
        Entry<T> e = intake.poll();
        if (e == null) {
          if (awaitClaims && awaitClaimed()) {
            continue; // a counted claim was published (or cancelled): look again
          }
          break;
        }
        into[n++] = e;
      }
      if (n == 0) {
        closeFlushedEpochs();
        return null;
      }
      batch = Arrays.asList(Arrays.copyOf(into, n));
      Arrays.fill(into, 0, n, null); // the scratch must not keep items alive
      closeFlushedEpochs();
      return new FormedBatch<>(batch, n == maxBatchSize ? FlushCause.SIZE : hint, 0, false,
          false, false);
    } else {
      batch = started != null ? started : new ArrayList<>();
      while (batch.size() < maxBatchSize) {
        Entry<T> e = waiting.poll();
        if (e == null) {
          if (awaitClaims && awaitClaimed()) {
            continue;
          }
          break;
        }
        long w = e.weight();
        if (w > maxBatchWeight - weight) {
          waiting.putBack(e); // starts the next batch
          cause = FlushCause.WEIGHT;
          break;
        }
        waiting.seal(e);
        batch.add(e);
        weight += w;
      }
      waiting.publishFront();
    }
    closeFlushedEpochs();
    if (batch.isEmpty()) {
      return null;
    }
    boolean retried = hint == FlushCause.RETRY;
    if (retried) {
      cause = FlushCause.RETRY;
    } else if (cause == null) {
      cause = batch.size() == maxBatchSize ? FlushCause.SIZE
          : weight == maxBatchWeight ? FlushCause.WEIGHT : hint;
    }
    return new FormedBatch<>(batch, cause, weight, false, retried, false);
  }

  /**
   * A former is leaving for good. A flush() that raced with its last look found the lock taken
   * and left the closing of its epoch to the former: look once more, now that the lock is free. A
   * flush that comes later takes the lock itself ({@link #closeEpochsNow}).
   */
  private void closeEpochsOnExit() {
    if (flushes.pending()) {
      lock.lock();
      closeConsumedEpochsAndUnlock();
    }
  }

  /**
   * For flush(): with no former on the lock (workers in the sink, or terminated), closes the
   * epochs already taken out and completes their flushes. A former holding the lock closes them
   * itself.
   */
  void closeEpochsNow() {
    if (lock.tryLock()) {
      closeConsumedEpochsAndUnlock();
    }
  }

  /** Called with the lock held: closes consumed epochs, unlocks, then completes their flushes. */
  private void closeConsumedEpochsAndUnlock() {
    boolean closedAny;
    try {
      closedAny = intake.closeConsumedEpochs();
    } finally {
      lock.unlock();
    }
    if (closedAny) {
      flushes.poll();
    }
  }

  /** Test seam: see {@link #roundProbe}. */
  void probeEachRound(@Nullable Runnable probe) {
    this.roundProbe = probe;
  }

  /** The acceptance time of the head the former delays; meaningful while DELAYING. */
  long delayingSince() {
    return delayingSince;
  }

  /**
   * The monitor's look at the waiting entries: drops the expired ones into {@code expired} (to be
   * committed by the caller, outside the lock). A parked former with nothing set aside wakes by
   * itself before anything waiting expires (the delay ends before the head's delivery timeout,
   * and a retry is due before its item's), so then it only plans to look when a delayed head
   * would expire, in case the former is then in a call that hangs.
   *
   * @return when the monitor should look again, at the latest
   */
  long expireForMonitor(long now, Settlement<T> expired) {
    int state = signal.state();
    boolean delaying = state == DELAYING || state == SATURATED;
    if ((state == IDLE || delaying) && waiting.aside() == 0) {
      return delaying ? delayingSince + deliveryTimeoutNanos : Long.MAX_VALUE;
    }
    if (!lock.tryLock()) {
      return now + MONITOR_RETRY_NANOS; // the former is forming a batch
    }
    try {
      retries.pull();
      long next = waiting.expire(now, deliveryTimeoutNanos, expired);
      return Math.min(next, retries.expire(now, deliveryTimeoutNanos, expired));
    } finally {
      lock.unlock();
    }
  }

  /**
   * After close(Duration) gave up, drops entries that producers published late (they were
   * between their claim and their publish): no worker is left to take them.
   */
  void dropLateClaims(Settlement<T> late) {
    lock.lock();
    try {
      dropVisible(late);
    } finally {
      lock.unlock();
    }
  }

  /** close(Duration) ran out of time: drops everything waiting and awaiting a retry. */
  void dropAll(Settlement<T> s) {
    lock.lock(); // the former leaves nextBatch() promptly once it sees aborted
    try {
      dropVisible(s);
      retries.dropAll(s);
    } finally {
      lock.unlock();
    }
  }

  private void dropVisible(Settlement<T> s) {
    waiting.dropAll(DropReason.CLOSE_TIMEOUT, s);
    if (flushes.pending()) {
      intake.closeConsumedEpochs(); // the caller polls the flushes once the lock is released
    }
  }
}
