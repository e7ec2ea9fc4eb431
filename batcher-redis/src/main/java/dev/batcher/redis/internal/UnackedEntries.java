package dev.batcher.redis.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import redis.clients.jedis.StreamEntryID;

/**
 * The entries a worker has read and not yet acknowledged nor given back: the bound on its memory,
 * and the hand-over of finished entries from the downstream batcher's threads to the worker's
 * thread, which acknowledges them in one {@code XACK}.
 *
 * <p>Invariant: an id is held from {@link #hold} until the worker {@linkplain #acked acknowledged}
 * it or a callback {@linkplain #release released} it (its item failed: the entry stays pending in
 * Redis), so {@link #size()} never exceeds the bound as long as the worker holds only when {@link
 * #room()} is positive, and an id is never held twice: an entry claimed back while its item is
 * still in flight here is not submitted again.
 *
 * <p>Thread-safe: {@link #finish} and {@link #release} run on the batcher's threads, the rest on
 * the worker's thread. Every change bumps a version under a lock and signals it, so a worker that
 * read the version before it looked for work never misses a wake-up. Internal: not API, may
 * change in any release.
 */
public final class UnackedEntries {
  private final int max;
  private final Set<StreamEntryID> held = ConcurrentHashMap.newKeySet();
  private final ConcurrentLinkedQueue<StreamEntryID> finished = new ConcurrentLinkedQueue<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private long version; // guarded by lock

  /** Entries of at most {@code max} held at once. */
  public UnackedEntries(int max) {
    this.max = max;
  }

  /** {@return how many more entries may be held} */
  public int room() {
    return max - held.size();
  }

  /** {@return how many entries are held} */
  public int size() {
    return held.size();
  }

  /** Holds {@code id}; {@return false if it was held already} */
  public boolean hold(StreamEntryID id) {
    return held.add(id);
  }

  /** The entry's item is done (written, or dead-lettered): acknowledge it. */
  public void finish(StreamEntryID id) {
    finished.add(id);
    signal();
  }

  /** The entry's item failed: leave it pending in Redis, and stop holding it here. */
  public void release(StreamEntryID id) {
    held.remove(id);
    signal();
  }

  /** {@return the ids finished since the last call, to acknowledge} */
  public List<StreamEntryID> drainFinished() {
    List<StreamEntryID> ids = new ArrayList<>();
    for (StreamEntryID id; (id = finished.poll()) != null; ) {
      ids.add(id);
    }
    return ids;
  }

  /** {@code ids}, drained, could not be acknowledged now: offer them again at the next drain. */
  public void requeue(List<StreamEntryID> ids) {
    finished.addAll(ids);
  }

  /** {@code ids} were acknowledged: stop holding them. */
  public void acked(List<StreamEntryID> ids) {
    ids.forEach(held::remove);
    signal();
  }

  /** Wakes a worker waiting in {@link #awaitChange} (to stop, or to look at refused items). */
  public void wake() {
    signal();
  }

  /** {@return the current version, to pass to {@link #awaitChange} later} */
  public long version() {
    lock.lock();
    try {
      return version;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until something changed since {@code seen} (an entry finished or was released), at
   * most {@code nanos}; returns at once if it already has.
   */
  public void awaitChange(long seen, long nanos) throws InterruptedException {
    lock.lock();
    try {
      long left = nanos;
      while (version == seen && left > 0) {
        left = changed.awaitNanos(left);
      }
    } finally {
      lock.unlock();
    }
  }

  private void signal() {
    lock.lock();
    try {
      version++;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }
}
