package dev.batcher.internal;

import dev.batcher.FlushCause;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;

/**
 * A batch handed to the sink. Settled exactly once ({@link #settle()}): by its completion, or
 * by the monitor or close(Duration) abandoning it, whichever comes first.
 *
 * <p>Internal: not API, may change in any release.
 */
final class InFlight<T> {
  private static final VarHandle SETTLED;

  static {
    try {
      SETTLED = MethodHandles.lookup().findVarHandle(InFlight.class, "settled", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final List<Entry<T>> entries;
  final FlushCause cause;
  final long weight;
  final long dispatchedAt;
  final Worker worker;
  final boolean pinned;
  /** Whether dispatch left its items' attempt counts alone (see {@link FormedBatch#isolating}). */
  final boolean isolating;
  /**
   * 0 until settled; written only through the compare-and-set in {@link #settle()}, whose winner
   * alone ends the call (completion and abandonment race for it).
   */
  @SuppressWarnings("unused")
  private volatile int settled;
  /**
   * Set before another thread ends an entry of this call while it runs (volatile, written before
   * that thread's finishing compare-and-set on the entry): a worker whose own finish of an entry
   * failed sees it, and forgets the items once the call has returned.
   */
  private volatile boolean droppedDuringCall;

  InFlight(FormedBatch<T> batch, long dispatchedAt, Worker worker) {
    this.entries = batch.entries;
    this.cause = batch.cause;
    this.weight = batch.weight;
    this.dispatchedAt = dispatchedAt;
    this.worker = worker;
    this.pinned = batch.pinned;
    this.isolating = batch.isolating;
  }

  void markDroppedDuringCall() {
    droppedDuringCall = true;
  }

  boolean droppedDuringCall() {
    return droppedDuringCall;
  }

  /** True for exactly one caller: the one that ends this call. */
  boolean settle() {
    return SETTLED.compareAndSet(this, 0, 1);
  }

  boolean allFinished() {
    for (Entry<T> e : entries) {
      if (!e.isFinished()) {
        return false;
      }
    }
    return true;
  }
}
