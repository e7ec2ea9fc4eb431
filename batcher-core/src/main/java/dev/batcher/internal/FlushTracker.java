package dev.batcher.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * Tracks which accepted entries a {@code flush()} must wait for, without a marker in the queue,
 * without ordering assumptions about how entries finish (they finish out of order under retries
 * and parallel batches), and without any cost on the producer's path.
 *
 * <p>Every entry the intake accepts gets a sequence number, in acceptance order. A flush reads
 * the intake's next sequence number {@code p}: everything accepted before the flush started has a
 * number below {@code p}. The flush ends the open {@link Epoch} at {@code p} and opens the next.
 * The consumer, which takes entries out of the intake in sequence order, stamps each entry with
 * the epoch its number falls in ({@link #stamp}) and counts it there; once it has taken every
 * number below an epoch's end it closes the epoch ({@link #closeConsumed}), which freezes the
 * epoch's {@code started} count. Settlements count {@code finished} per epoch. An epoch's flush
 * completes when it and every older epoch are closed and have finished all they started.
 *
 * <p>Races, and why they are harmless:
 *
 * <ul>
 *   <li>A flush may set an epoch's end while the consumer stamps a number at or above it into
 *       that epoch (it read the end before the flush wrote it). That entry raced with the flush,
 *       which is then merely waiting for one more entry than it had to. A number below the end is
 *       never stamped into a later epoch: the consumer moves on only past an end it has read.
 *   <li>Why {@code finished >= started} is a safe test although the finished count is striped and
 *       read without a lock: an epoch is tested only once closed, when {@code started} no longer
 *       changes; an entry is stamped (started) before anyone can finish it, so {@code finished}
 *       can only catch up with {@code started}, never overtake it with entries of its own.
 * </ul>
 *
 * <p>Thread-safety: {@link #flush}, {@link #poll} and {@link #pending} from any thread; {@link
 * #stamp} and {@link #closeConsumed} only by the intake's consumer (the thread holding the lock
 * that guards taking entries out), never concurrently.
 *
 * <p>Internal: not API, may change in any release.
 */
final class FlushTracker {

  /** One generation of accepted entries: those numbered below {@link #end}, down to the last. */
  static final class Epoch {
    /** Entries numbered below this belong to this epoch or an older one; MAX while open. */
    volatile long end = Long.MAX_VALUE;
    /** Written by {@link #next} before {@link #end}: a consumer that reads the end sees it. */
    Epoch next;
    /** Entries stamped into this epoch; owned by the consumer, frozen by {@link #closed}. */
    long started;
    /** Set by the consumer once nothing more can be stamped here; publishes {@link #started}. */
    volatile boolean closed;
    /**
     * Entries of this epoch that finished, counted by settlements from any thread. Striped adds
     * (each a compare-and-set on a cell, sequentially consistent); {@code sum()} is not an atomic
     * snapshot, but it is read only once {@link #closed}, when it can only catch up with {@link
     * #started} (see the class comment), and a settlement adds before it reads {@link
     * FlushTracker#pending}: see there.
     */
    final LongAdder finished = new LongAdder();
    final CompletableFuture<Void> flushed = new CompletableFuture<>();
  }

  private final ReentrantLock lock = new ReentrantLock();
  /** The open epoch, whose end is MAX. Guarded by lock. */
  private Epoch newest = new Epoch();
  /** The last epoch a flush ended, or null before the first flush. Guarded by lock. */
  private Epoch lastEnded;
  /** The oldest epoch whose flush has not completed. Guarded by lock. */
  private Epoch oldest = newest;
  /** The epoch the consumer stamps into. Consumer-owned. */
  private Epoch cursor = newest;
  /**
   * Whether some flush waits: written under the lock, read without it by {@link #poll()}'s fast
   * path. The pair relied on: a flush writes it (volatile) and then polls, reading the finished
   * counts; a settlement adds to a finished count and then reads it (volatile). Both are
   * sequentially consistent, so either the settlement sees the flush waiting and polls, or the
   * flush's own poll sees the entry finished: no flush is left waiting for an entry that ended.
   */
  private volatile boolean pending;

  /**
   * True while some flush is waiting: the worker should not wait out the delay, and should close
   * epochs.
   */
  boolean pending() {
    return pending;
  }

  /**
   * Ends the open epoch at the intake's next sequence number and returns a future that completes
   * when every entry numbered below it has finished.
   *
   * @param nextSequence reads the intake's next sequence number; called under this tracker's lock
   *     so that epoch ends increase along the chain
   */
  CompletableFuture<Void> flush(LongSupplier nextSequence) {
    Epoch ending;
    lock.lock();
    try {
      long end = nextSequence.getAsLong();
      if (lastEnded != null && end <= lastEnded.end) {
        return lastEnded.flushed; // nothing accepted since the last flush: wait for that one
      }
      ending = newest;
      Epoch next = new Epoch();
      ending.next = next; // before the volatile end: see Epoch.next
      ending.end = end;
      newest = next;
      lastEnded = ending;
      pending = true;
    } finally {
      lock.unlock();
    }
    poll();
    return ending.flushed;
  }

  /**
   * Consumer only: the epoch for the entry numbered {@code sequence}, counted as started there.
   * Sequence numbers must be passed in increasing order (gaps are fine).
   */
  Epoch stamp(long sequence) {
    Epoch c = cursor;
    while (sequence >= c.end) {
      c = advance(c);
    }
    c.started++;
    return c;
  }

  /**
   * Consumer only: every entry numbered below {@code consumed} has been taken out (and stamped),
   * so epochs that end at or below it can be closed.
   *
   * @return true if an epoch was closed: call {@link #poll()} once no lock is held
   */
  boolean closeConsumed(long consumed) {
    Epoch c = cursor;
    boolean any = false;
    while (consumed >= c.end) {
      c = advance(c);
      any = true;
    }
    return any;
  }

  private Epoch advance(Epoch c) {
    c.closed = true; // publishes started
    cursor = c.next;
    return cursor;
  }

  /** Completes the futures of finished epochs, oldest first. Cheap when no flush is waiting. */
  void poll() {
    if (!pending) {
      return;
    }
    Epoch done = null;
    Epoch stop;
    lock.lock();
    try {
      Epoch first = oldest;
      while (oldest.closed) {
        // closed was read first: started is frozen and visible
        if (oldest.finished.sum() < oldest.started) {
          break;
        }
        oldest = oldest.next;
      }
      pending = oldest != newest;
      if (first != oldest) {
        done = first;
      }
      stop = oldest;
    } finally {
      lock.unlock();
    }
    // Complete outside the lock: callbacks run inline and may call flush() themselves.
    for (Epoch e = done; e != null && e != stop; e = e.next) {
      e.flushed.complete(null);
    }
  }
}
