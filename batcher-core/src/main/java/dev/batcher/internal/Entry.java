package dev.batcher.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * One accepted item on its way to the sink, and the future its submitter holds: the entry is the
 * future, so accepting an item allocates one object besides the queue node.
 *
 * <p>Its {@link #tryFinish()} is the single gate through which every ending passes (written,
 * failed, dropped), so an item ends exactly once even when the worker, the delivery-timeout monitor
 * and {@code close(Duration)} race for it.
 *
 * <p>Under coalescing, {@link #item} is replaced by merges and {@link #waiters} gathers the futures
 * of the items merged into it; both change only under the coalescing map's lock on the key's bin,
 * until the entry is removed from the map (sealed), after which they are stable.
 *
 * <p>Internal: not API, may change in any release.
 */
final class Entry<T> extends CompletableFuture<Void> {
  private static final VarHandle FINISHED;
  private static final VarHandle NEXT;

  static {
    try {
      FINISHED = MethodHandles.lookup().findVarHandle(Entry.class, "finished", int.class);
      NEXT = MethodHandles.lookup().findVarHandle(Entry.class, "next", Entry.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  T item;
  final long acceptedAt;
  final long weight;
  final FlushTracker.@Nullable Epoch epoch; // null only for the queue's stub
  final @Nullable Object key;
  @Nullable List<CompletableFuture<Void>> waiters;

  // Attempt bookkeeping: written by the worker that dispatches the entry, read by whoever
  // completes or schedules it next; the in-flight set and the retry queue hand it over.
  int attempts;
  long firstAttemptAt;
  long lastAttemptAt;

  /** 0 while pending; 1 once an ending has claimed the entry. Written only through the CAS. */
  @SuppressWarnings("unused")
  private volatile int finished;

  /** The next entry in the {@link EntryQueue} it was linked into. */
  @SuppressWarnings("unused")
  private volatile @Nullable Entry<T> next;

  /** The queue's placeholder before the first entry; it is never handed to anyone. */
  @SuppressWarnings("unchecked")
  static <T> Entry<T> stub() {
    return new Entry<>((T) "stub", 0, 0, null, null);
  }

  Entry(T item, long acceptedAt, long weight, FlushTracker.@Nullable Epoch epoch,
      @Nullable Object key) {
    this.item = item;
    this.acceptedAt = acceptedAt;
    this.weight = weight;
    this.epoch = epoch;
    this.key = key;
  }

  @SuppressWarnings("unchecked")
  @Nullable Entry<T> next() {
    return (Entry<T>) NEXT.getAcquire(this);
  }

  /**
   * Links the successor with a volatile store: the producer reads the former's state right
   * after, and that store-then-load must not be reordered, or an idle former could miss the
   * entry while the producer misses the former's IDLE (a lost wake-up).
   */
  void linkNext(Entry<T> e) {
    NEXT.setVolatile(this, e);
  }

  void clearNext() {
    NEXT.setOpaque(this, null);
  }

  /** Claims the right to end this entry; true for exactly one caller. */
  boolean tryFinish() {
    return FINISHED.compareAndSet(this, 0, 1);
  }

  boolean isFinished() {
    return finished != 0;
  }

  /** How many submitted items this entry stands for: 1, plus the ones merged into it. */
  int count() {
    List<CompletableFuture<Void>> w = waiters;
    return w == null ? 1 : 1 + w.size();
  }

  void addWaiter(CompletableFuture<Void> waiter) {
    if (waiters == null) {
      waiters = new ArrayList<>(4);
    }
    waiters.add(waiter);
  }

  /** Completes this future and the merged items' futures normally. */
  void succeed() {
    complete(null);
    List<CompletableFuture<Void>> w = waiters;
    if (w != null) {
      for (CompletableFuture<Void> f : w) {
        f.complete(null);
      }
    }
  }

  /** Completes this future and the merged items' futures exceptionally. */
  void fail(Throwable cause) {
    completeExceptionally(cause);
    List<CompletableFuture<Void>> w = waiters;
    if (w != null) {
      for (CompletableFuture<Void> f : w) {
        f.completeExceptionally(cause);
      }
    }
  }
}
