package dev.batcher.internal;

import dev.batcher.DropReason;
import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The entries accepted and not yet taken into a batch: the {@link Intake} in acceptance order,
 * preceded by a short <em>front</em> of entries taken out and set aside (the entry that did not
 * fit a batch by weight, or that a monitor's look at an evicting queue took out), with their
 * weight and their place in the coalescing map.
 *
 * <p>Taking an entry out of the waiting room is always the same step, and only here: out of the
 * front or the intake, its weight no longer queued, and its key <em>sealed</em> (removed from the
 * coalescing map, so that later items with that key start a new entry).
 *
 * <p>Thread-safety: the consumer methods only under the batcher's consumer lock; the producer
 * methods ({@link #addQueuedWeight}, {@link #delayedBatchFull}) and {@link #aside()} from any
 * thread.
 *
 * <p>Internal: not API, may change in any release.
 */
final class WaitingRoom<T> {
  final Intake<T> intake;
  /** Entries taken out of the intake that go before it. Consumer lock. */
  private final ArrayDeque<Entry<T>> front = new ArrayDeque<>();
  /** Weight of {@link #front}. Consumer lock. */
  private long frontWeight;
  /**
   * Size and weight of the front as last published by the former, for producers deciding whether
   * a delayed batch is full and for the metrics. Plain volatile writes, made only when the
   * former is about to park or has changed the front: a producer that reads DELAYING reads them
   * after the state, which was written after them.
   */
  private volatile int frontCount;
  private volatile long frontWeightPublished;
  /**
   * Weight of entries in the intake; null without a weigher. Producers add after publishing, the
   * consumer subtracts as it takes entries out; atomic adds only, no other ordering: a reading
   * that lags by an entry makes a weight-full batch go a moment later, never bigger.
   */
  private final @Nullable AtomicLong queuedWeight;
  /** Waiting entries by coalescing key; null without coalescing. */
  private final @Nullable ConcurrentHashMap<Object, Entry<T>> coalescing;

  WaitingRoom(Intake<T> intake, boolean weighs,
      @Nullable ConcurrentHashMap<Object, Entry<T>> coalescing) {
    this.intake = intake;
    this.queuedWeight = weighs ? new AtomicLong() : null;
    this.coalescing = coalescing;
  }

  // ------------------------------------------------------------------------ producers, any thread

  /** A producer published an entry of weight {@code w}; returns the queued weight after it. */
  long addQueuedWeight(long w) {
    AtomicLong q = queuedWeight;
    return q == null ? 0 : q.addAndGet(w);
  }

  /**
   * Whether the entry claimed as {@code ticket} (with the queued weight {@code queuedW} after it)
   * fills the batch a parked former delays.
   */
  boolean delayedBatchFull(long ticket, long queuedW, int maxBatchSize, long maxBatchWeight) {
    return intake.queuedAfter(ticket) + frontCount >= maxBatchSize
        || (queuedWeight != null && queuedW + frontWeightPublished >= maxBatchWeight);
  }

  /** Entries set aside before the intake, as last published; for the metrics and the monitor. */
  int aside() {
    return frontCount;
  }

  // ------------------------------------------------------------------------ consumer lock only

  /** The oldest waiting entry, or null if none is visible. */
  @Nullable Entry<T> head() {
    Entry<T> e = front.peekFirst();
    return e != null ? e : intake.peek();
  }

  /** Whether nothing is set aside: batches may then be taken straight from the intake. */
  boolean frontIsEmpty() {
    return front.isEmpty();
  }

  /** Waiting entries, counting claims not yet published. */
  long count() {
    return intake.queued() + front.size();
  }

  /** Whether the waiting entries weigh at least {@code maxBatchWeight}. */
  boolean fullByWeight(long maxBatchWeight) {
    return queuedWeight != null && queuedWeight.get() + frontWeight >= maxBatchWeight;
  }

  /**
   * Takes out the oldest waiting entry, front first, and no longer counts its weight as queued;
   * its key stays in the map until {@link #seal}. Null if none is visible.
   */
  @Nullable Entry<T> poll() {
    Entry<T> e = front.pollFirst();
    if (e != null) {
      frontWeight -= e.weight();
      return e;
    }
    e = intake.poll();
    if (e != null && queuedWeight != null) {
      queuedWeight.addAndGet(-e.weight());
    }
    return e;
  }

  /** Puts a taken-out entry back at the head: it starts the next batch. */
  void putBack(Entry<T> e) {
    front.addFirst(e);
    frontWeight += e.weight();
  }

  /** Puts a taken-out entry at the end of the front: it still goes before the intake. */
  private void setAside(Entry<T> e) {
    front.addLast(e);
    frontWeight += e.weight();
  }

  /** Later items with {@code e}'s key start a new entry: {@code e} is going to the sink. */
  void seal(Entry<T> e) {
    Object key = e.key();
    if (coalescing != null && key != null) {
      coalescing.remove(key, e);
    }
  }

  /** Seals a taken-out entry and drops it into {@code s}. */
  void drop(Entry<T> e, DropReason reason, Settlement<T> s) {
    seal(e);
    s.drop(e, reason);
  }

  /** Publishes the front's size and weight for producers and the monitor. */
  void publishFront() {
    // Written only when changed: producers read these lines while the former waits out the delay.
    int count = front.size();
    if (frontCount != count) {
      frontCount = count;
    }
    if (frontWeightPublished != frontWeight) {
      frontWeightPublished = frontWeight;
    }
  }

  /** Drops every visible waiting entry into {@code s}. */
  void dropAll(DropReason reason, Settlement<T> s) {
    for (Entry<T> e; (e = poll()) != null; ) {
      drop(e, reason, s);
    }
    publishFront();
  }

  /**
   * Drops waiting entries whose delivery timeout has passed into {@code s}. The queue is in
   * acceptance order, so they are at its head.
   *
   * @return the delivery deadline of the oldest entry still waiting, or MAX_VALUE
   */
  long expire(long now, long deliveryTimeoutNanos, Settlement<T> s) {
    while (true) {
      Entry<T> e = front.peekFirst();
      if (e == null) {
        e = intake.peek();
      }
      if (e == null || now - e.acceptedAt < deliveryTimeoutNanos) {
        break;
      }
      // May differ from the peeked one if a producer evicted it meanwhile (DROP_OLDEST).
      e = poll();
      if (e == null) {
        break;
      }
      if (now - e.acceptedAt < deliveryTimeoutNanos) {
        setAside(e);
        break;
      }
      drop(e, DropReason.DELIVERY_TIMEOUT, s);
    }
    publishFront();
    Entry<T> head = head();
    return head == null ? Long.MAX_VALUE : head.acceptedAt + deliveryTimeoutNanos;
  }
}
