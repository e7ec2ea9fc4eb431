package dev.batcher.internal;

import org.jspecify.annotations.Nullable;

/**
 * The waiting room of a batcher: the bound on accepted, unfinished entries ({@code
 * queueCapacity}) and the queue of entries not yet taken into a batch, in acceptance order.
 *
 * <p>A producer {@linkplain #claim() claims} room, which numbers its entry, and then either
 * {@linkplain #publish publishes} the entry under that claim or {@linkplain #cancel cancels} the
 * claim. Room is given back with {@link #release} when an accepted entry finishes, however it
 * finishes. Consumers take entries out with {@link #peek()} and {@link #poll()}; taking an entry
 * out stamps it with its flush epoch ({@link FlushTracker#stamp}). Only one consumer at a time:
 * the thread holding the batcher's consumer lock (and, in {@link #locked}, producers evicting).
 *
 * <p>Two implementations: {@link #ring} for {@code BLOCK} and {@code FAIL}, where only the batch
 * former takes entries out, and {@link #locked} for {@code DROP_OLDEST}, where producers evict
 * the oldest waiting entry themselves.
 *
 * <p>Internal: not API, may change in any release.
 */
abstract class Intake<T> {

  /** Returned by {@link #claim()} when the capacity is taken. */
  static final long FULL = -1;
  /** Returned by {@link #claim()} once {@link #close()} has run. */
  static final long CLOSED = -2;
  /**
   * The bit that {@link #close()} sets in the claim counter: a claim and a close are both atomic
   * operations on that one word, so every claim either happened before the close (and is counted
   * by whoever reads the accepted count after closing) or fails.
   */
  static final long CLOSED_BIT = 1L << 62;

  /** Told when the intake gives room back by itself: a cancelled claim, not a {@link #release}. */
  interface RoomListener {
    /** {@code n} units of capacity were given back. */
    void released(int n);
  }

  final FlushTracker flushes;
  final int capacity;

  Intake(FlushTracker flushes, int capacity) {
    this.flushes = flushes;
    this.capacity = capacity;
  }

  /** Returns the lock-free ring for a batcher whose entries only the former takes out. */
  static <T> Intake<T> ring(FlushTracker flushes, int capacity, RoomListener room) {
    return new RingIntake<>(flushes, capacity, room);
  }

  /** Returns the lock-based queue whose producers may evict the oldest waiting entry. */
  static <T> Intake<T> locked(FlushTracker flushes, int capacity, RoomListener room) {
    return new LockedIntake<>(flushes, capacity, room);
  }

  /**
   * Claims room for one entry, if the capacity allows and the intake is open. Any thread.
   *
   * @return a ticket to {@link #publish} or {@link #cancel} exactly once, or {@link #FULL}, or
   *     {@link #CLOSED}
   */
  abstract long claim();

  /** Refuses every later claim; claims made before stay valid. Any thread, idempotent. */
  abstract void close();

  /** Makes {@code e} visible to consumers under the claim {@code ticket}. Any thread. */
  abstract void publish(long ticket, Entry<T> e);

  /** Gives up the claim {@code ticket} without an entry. Any thread. */
  abstract void cancel(long ticket);

  /** Gives back the room of {@code n} accepted entries that finished. Any thread. */
  abstract void release(int n);

  /** Accepted, unfinished entries: claims not yet released. Any thread. */
  abstract long accepted();

  /** Entries ever accepted into the intake (claims not cancelled). Any thread. */
  abstract long acceptedTotal();

  /** Entries waiting to be taken out, counting claims not yet published. Any thread. */
  abstract long queued();

  /** What {@link #queued()} was right after the claim {@code ticket} was published. */
  abstract long queuedAfter(long ticket);

  /**
   * True when a claim has been made that no consumer has taken out yet, published or not: a
   * producer may be between its claim and its publish, so "nothing to peek" is not "empty".
   */
  abstract boolean hasClaims();

  /** The oldest waiting entry, or null if none is visible. Consumer only. */
  abstract @Nullable Entry<T> peek();

  /** Takes out the oldest waiting entry and stamps its epoch, or returns null. Consumer only. */
  abstract @Nullable Entry<T> poll();

  /**
   * Takes out the oldest waiting entry for a producer that must make room, or returns null. Only
   * {@link #locked} supports it.
   */
  @Nullable Entry<T> evictOldest() {
    throw new UnsupportedOperationException("only the locked intake evicts");
  }

  /** The sequence number the next claim will get: the end of a flush's epoch. Any thread. */
  abstract long nextSequence();

  /**
   * Closes the flush epochs whose entries have all been taken out. Consumer only.
   *
   * @return true if an epoch was closed: call {@link FlushTracker#poll()} once no lock is held
   */
  abstract boolean closeConsumedEpochs();
}
