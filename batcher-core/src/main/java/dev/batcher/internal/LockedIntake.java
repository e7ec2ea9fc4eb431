package dev.batcher.internal;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The intake for {@code DROP_OLDEST}: a deque under a short lock, because producers that find the
 * capacity taken evict the oldest waiting entry themselves, which a single-consumer ring cannot
 * allow. Claims are a compare-and-set on the accepted count; publishing, taking out and evicting
 * take the lock, which also guards the numbering and the stamping of flush epochs, so an evicting
 * producer and the batch former stamp in one order.
 *
 * <p>Internal: not API, may change in any release.
 */
final class LockedIntake<T> extends Intake<T> {
  private final ReentrantLock lock = new ReentrantLock();
  private final ArrayDeque<Entry<T>> waiting = new ArrayDeque<>(); // guarded by lock
  /**
   * Claims not yet released, and {@link Intake#CLOSED_BIT}. Claims compare-and-set it, close sets
   * the bit by compare-and-set, releases add: all sequentially consistent read-modify-writes on
   * one word, so a claim either precedes the close (and close waits for its entry) or sees the
   * bit and fails. {@link #accepted()} reads it plainly volatile.
   */
  private final AtomicLong acceptedCount = new AtomicLong();
  /**
   * Producers that have claimed, or are about to, and not yet published or cancelled: raised
   * before the claim, so that whoever sees no claim pending and then nothing queued may conclude
   * that the intake is empty (the monitor's last sweep after close(Duration) gave up).
   */
  private final AtomicLong unpublished = new AtomicLong();
  private final Intake.RoomListener room;
  /** Entries published, ever: the next entry's number. Written under lock. */
  private volatile long published;
  /** Entries taken out, ever: the number of the head. Written under lock. */
  private volatile long consumed;

  LockedIntake(FlushTracker flushes, int capacity, Intake.RoomListener room) {
    super(flushes, capacity);
    this.room = room;
  }

  @Override
  long claim() {
    unpublished.incrementAndGet();
    long a = acceptedCount.get();
    while (true) {
      if ((a & CLOSED_BIT) != 0) {
        unpublished.decrementAndGet();
        return CLOSED;
      }
      if (a >= capacity) {
        unpublished.decrementAndGet();
        return FULL;
      }
      long witness = acceptedCount.compareAndExchange(a, a + 1);
      if (witness == a) {
        return 0; // the number is given at publish, under the lock
      }
      a = witness;
    }
  }

  @Override
  void close() {
    long a = acceptedCount.get();
    while ((a & CLOSED_BIT) == 0) {
      long witness = acceptedCount.compareAndExchange(a, a | CLOSED_BIT);
      if (witness == a) {
        return;
      }
      a = witness;
    }
  }

  @Override
  void publish(long ticket, Entry<T> e) {
    lock.lock();
    try {
      waiting.addLast(e);
      published = published + 1;
    } finally {
      lock.unlock();
    }
    unpublished.decrementAndGet();
  }

  @Override
  void cancel(long ticket) {
    acceptedCount.decrementAndGet();
    unpublished.decrementAndGet();
    room.released(1);
  }

  @Override
  void release(int n) {
    acceptedCount.addAndGet(-n);
  }

  @Override
  long accepted() {
    return acceptedCount.get() & ~CLOSED_BIT;
  }

  @Override
  long acceptedTotal() {
    return published;
  }

  @Override
  long queued() {
    long c = consumed; // first: the difference is never negative
    return published - c;
  }

  @Override
  long queuedAfter(long ticket) {
    return queued();
  }

  @Override
  boolean hasClaims() {
    return unpublished.get() > 0 || queued() > 0;
  }

  @Override
  @Nullable Entry<T> peek() {
    lock.lock();
    try {
      return waiting.peekFirst();
    } finally {
      lock.unlock();
    }
  }

  @Override
  @Nullable Entry<T> poll() {
    lock.lock();
    try {
      return takeHead();
    } finally {
      lock.unlock();
    }
  }

  @Override
  @Nullable Entry<T> evictOldest() {
    return poll();
  }

  /** Called with lock held. */
  private @Nullable Entry<T> takeHead() {
    Entry<T> e = waiting.pollFirst();
    if (e != null) {
      long c = consumed;
      e.epoch = flushes.stamp(c);
      consumed = c + 1;
    }
    return e;
  }

  @Override
  long nextSequence() {
    return published;
  }

  @Override
  boolean closeConsumedEpochs() {
    lock.lock();
    try {
      return flushes.closeConsumed(consumed);
    } finally {
      lock.unlock();
    }
  }
}
