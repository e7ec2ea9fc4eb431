package dev.batcher.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Tracks which accepted entries a {@code flush()} must wait for, without a marker in the queue and
 * without ordering assumptions (entries finish out of order under retries and parallel batches).
 *
 * <p>Entries are stamped at acceptance with the current {@link Epoch}, which counts the entries
 * started and finished in it. {@link #flush()} closes the current epoch and opens the next; the
 * closed epoch's future completes once it and every older epoch have finished all their entries.
 * The cost on the hot path is one volatile read and one striped increment per accepted entry.
 *
 * <p>Why {@code finished >= started} is a safe test although neither sum is an atomic snapshot:
 * {@link #poll()} reads {@code finished} first. Every finish it sees happened after that entry's
 * start increment, so the later read of {@code started} sees those starts too; {@code finished >=
 * started} then means every start it saw has finished. A start it did not see belongs to a submit
 * that raced with the flush, which the flush is free to exclude.
 *
 * <p>Internal: not API, may change in any release.
 */
final class FlushTracker {

  /** One generation of accepted entries. */
  static final class Epoch {
    final LongAdder started = new LongAdder();
    final LongAdder finished = new LongAdder();
    final CompletableFuture<Void> flushed = new CompletableFuture<>();
    boolean closed; // guarded by the tracker's lock
    Epoch next; // guarded by the tracker's lock
  }

  private final ReentrantLock lock = new ReentrantLock();
  private volatile Epoch current = new Epoch();
  private Epoch oldest = current; // guarded by lock
  private volatile boolean pending;

  /** The epoch that newly accepted entries belong to. */
  Epoch current() {
    return current;
  }

  /** True while some flush is waiting: the worker should not linger. */
  boolean pending() {
    return pending;
  }

  /**
   * Closes the current epoch and returns a future that completes when every entry accepted before
   * this call has finished.
   */
  CompletableFuture<Void> flush() {
    Epoch closing;
    lock.lock();
    try {
      closing = current;
      closing.closed = true;
      Epoch next = new Epoch();
      closing.next = next;
      current = next;
      pending = true;
    } finally {
      lock.unlock();
    }
    poll();
    return closing.flushed;
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
        long finished = oldest.finished.sum(); // read before started: see the class comment
        if (finished < oldest.started.sum()) {
          break;
        }
        oldest = oldest.next;
      }
      pending = oldest.closed;
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
