package dev.batcher.internal;

import dev.batcher.ItemWriteException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * One accepted item on its way to the sink, and the future its submitter holds: the entry is the
 * future, so accepting an item allocates this one object (48 bytes with compressed pointers) and
 * nothing else, unless the batcher weighs or coalesces items.
 *
 * <p>Its {@link #tryFinish()} is the single gate through which every ending passes (written,
 * failed, dropped), so an item ends exactly once even when the worker, the delivery-timeout monitor
 * and {@code close(Duration)} race for it.
 *
 * <p>What only some entries need lives in side objects: {@link Extra} (weight, coalescing key and
 * the futures of items merged into this one) is created at acceptance only by a batcher with a
 * weigher or coalescing; {@link Attempts} is created by the worker when an attempt fails. Under
 * coalescing, {@link #item} is replaced by merges and {@link Extra#waiters} grows; both change only
 * under the coalescing map's lock on the key's bin, until the entry is removed from the map
 * (sealed), after which they are stable.
 *
 * <p>Internal: not API, may change in any release.
 */
final class Entry<T> extends CompletableFuture<Void> {
  private static final VarHandle FINISHED;

  static {
    try {
      FINISHED = MethodHandles.lookup().findVarHandle(Entry.class, "finished", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** What a cancelled claim publishes in the ring; never handed to anyone. */
  @SuppressWarnings("rawtypes")
  static final Entry TOMBSTONE = new Entry<>("tombstone", 0, null);

  /** Weight, coalescing key and merged items: only for batchers that weigh or coalesce. */
  static final class Extra {
    final long weight;
    final @Nullable Object key;
    @Nullable List<CompletableFuture<Void>> waiters;

    Extra(long weight, @Nullable Object key) {
      this.weight = weight;
      this.key = key;
    }
  }

  /** Attempt bookkeeping, created when the first attempt fails. Worker-owned, handed over. */
  static final class Attempts {
    /** Attempts in the retry policy's sense: the first send, and each send after a backoff. */
    int count;
    /** Times a failed atomic batch holding this item was split to isolate poison items. */
    int splits;
    final long first;
    long last;
    /** The sink's error for the item's latest failed send. */
    Throwable lastError;

    Attempts(long firstAttemptAt, Throwable error) {
      this.count = 1;
      this.first = firstAttemptAt;
      this.last = firstAttemptAt;
      this.lastError = error;
    }
  }

  /** The item; null once the entry has ended and was {@linkplain #forget() forgotten}. */
  T item;
  final long acceptedAt;
  private final @Nullable Extra extra;
  /** Stamped when the entry is taken out of the intake; null until then. */
  FlushTracker.@Nullable Epoch epoch;
  /** Null until an attempt fails: an entry that succeeds at once never needs it. */
  @Nullable Attempts attempts;

  /** 0 while pending; 1 once an ending has claimed the entry. Written only through the CAS. */
  @SuppressWarnings("unused")
  private volatile int finished;

  Entry(T item, long acceptedAt, @Nullable Extra extra) {
    this.item = item;
    this.acceptedAt = acceptedAt;
    this.extra = extra;
  }

  long weight() {
    Extra x = extra;
    return x == null ? 0 : x.weight;
  }

  @Nullable Object key() {
    Extra x = extra;
    return x == null ? null : x.key;
  }

  /** Attempts made so far: 1 while the first is in flight or if it succeeded. */
  int attemptCount() {
    Attempts a = attempts;
    return a == null ? 1 : a.count;
  }

  /** Splits of failed atomic batches that isolated this item so far. */
  int splitCount() {
    Attempts a = attempts;
    return a == null ? 0 : a.splits;
  }

  /** The sink's error for the latest failed send of this item, or null if none failed. */
  @Nullable Throwable lastError() {
    Attempts a = attempts;
    return a == null ? null : a.lastError;
  }

  /**
   * Records that the send dispatched at {@code dispatchedAt} failed with {@code error}. Worker
   * only; later attempts are counted when dispatched.
   */
  void attemptFailed(long dispatchedAt, Throwable error) {
    Attempts a = attempts;
    if (a == null) {
      attempts = new Attempts(dispatchedAt, error);
    } else {
      a.lastError = error;
    }
  }

  /**
   * The entry has ended and everything that reads it ran: drops what a caller who keeps the
   * future must not keep alive, the item and the chain of flush epochs after this one. Only the
   * settlement that ended the entry calls this, and only when no sink call still runs with it.
   */
  void forget() {
    item = null;
    forgetEpoch();
  }

  /** {@link #forget()} but for the item, which a sink call still running may read. */
  void forgetEpoch() {
    epoch = null;
    Extra x = extra;
    if (x != null) {
      x.waiters = null;
    }
  }

  /** Forgets the item of an ended entry once no sink call reads it. */
  void forgetItem() {
    item = null;
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
    Extra x = extra;
    if (x == null) {
      return 1;
    }
    List<CompletableFuture<Void>> w = x.waiters;
    return w == null ? 1 : 1 + w.size();
  }

  /** Adds the future of an item merged into this one. Under the coalescing map's bin lock. */
  void addWaiter(CompletableFuture<Void> waiter) {
    Extra x = java.util.Objects.requireNonNull(extra, "a coalescing entry has an Extra");
    if (x.waiters == null) {
      x.waiters = new ArrayList<>(4);
    }
    x.waiters.add(waiter);
  }

  /**
   * Whether completing this entry may run other code: a dependent registered on its future, or
   * the futures of merged items (whose dependents it does not look at). A dependent registered
   * at the moment the entry completes may still run on the completing thread: the window is as
   * short as the completion, but that dependent runs for as long as it takes.
   */
  boolean mayRunCallbacks() {
    Extra x = extra;
    return getNumberOfDependents() != 0 || (x != null && x.waiters != null);
  }

  /** Completes this future and the merged items' futures normally. */
  void succeed() {
    complete(null);
    Extra x = extra;
    if (x != null && x.waiters != null) {
      for (CompletableFuture<Void> f : x.waiters) {
        f.complete(null);
      }
    }
  }

  /**
   * Completes this future and the merged items' futures exceptionally. An {@link
   * ItemWriteException} allows suppression (it carries a dead-letter handler's failure), so each
   * merged item's future gets its own copy, made before any future completes: one caller's {@code
   * addSuppressed} never shows up on another's. The other exceptions ({@link
   * dev.batcher.DroppedItemException}, {@link dev.batcher.RejectedItemException}) are shared:
   * their suppression and stack traces are disabled.
   *
   * @param batcherName names the batcher in the copies' messages
   */
  void fail(Throwable cause, String batcherName) {
    Extra x = extra;
    List<CompletableFuture<Void>> w = x == null ? null : x.waiters;
    Throwable[] own = null;
    if (w != null && cause instanceof ItemWriteException) {
      own = new Throwable[w.size()];
      for (int i = 0; i < own.length; i++) {
        own[i] = copyOf((ItemWriteException) cause, batcherName);
      }
    }
    completeExceptionally(cause);
    if (w != null) {
      for (int i = 0; i < w.size(); i++) {
        w.get(i).completeExceptionally(own == null ? cause : own[i]);
      }
    }
  }

  private static ItemWriteException copyOf(ItemWriteException e, String batcherName) {
    ItemWriteException copy = new ItemWriteException(batcherName,
        java.util.Objects.requireNonNull(e.getCause()), e.attempts(), e.splits(), e.deadLettered());
    for (Throwable s : e.getSuppressed()) {
      copy.addSuppressed(s);
    }
    return copy;
  }
}
