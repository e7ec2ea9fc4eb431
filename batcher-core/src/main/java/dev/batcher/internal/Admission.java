package dev.batcher.internal;

import static java.util.Objects.requireNonNull;

import dev.batcher.DropReason;
import dev.batcher.OverflowPolicy;
import dev.batcher.RefusalReason;
import dev.batcher.RejectedItemException;
import dev.batcher.TimeSource;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BinaryOperator;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;

/**
 * The producers' side: accepts an item into the intake (or merges it into a waiting one),
 * applies the overflow policy when the queue is full, counts and answers refusals, and wakes the
 * batch former when the item matters to it. {@code submit} never logs when it accepts (refusals
 * are reported by {@link LossLog}, at most once per reason per interval) and, on the fast path,
 * allocates only the entry, which is also the future returned.
 *
 * <p>Thread-safety: any number of producer threads at once.
 *
 * <p>Internal: not API, may change in any release.
 */
final class Admission<T> {
  /**
   * Weights from here on are reserved by compare-and-set, not by an atomic add (see {@link
   * #tryClaim}): below it, the adds of racing producers, 2^32 each at most, cannot carry the
   * total past a wrap-around back to a positive sum.
   */
  private static final long LARGE_WEIGHT = 1L << 32;

  private final String name;
  private final TimeSource time;
  private final Intake<T> intake;
  private final WaitingRoom<T> waiting;
  private final FormerSignal former;
  private final RoomSignal room;
  private final Lifecycle lifecycle;
  private final Counters counters;
  private final Events<T> events;
  private final Settler<T> settler;
  private final FlushTracker flushes;
  private final int maxBatchSize;
  private final long maxBatchWeight;
  private final long capacityWeight;
  private final OverflowPolicy overflow;
  private final long blockTimeoutNanos;
  private final @Nullable ToLongFunction<? super T> weigher;
  /**
   * Weight of accepted, unfinished entries; null without a weigher. Reserved by an atomic add
   * before the claim and given back by the settlement that ends the entry: the sum never exceeds
   * {@code queueCapacityWeight}, because a reservation that overshoots is undone before claiming.
   */
  private final @Nullable AtomicLong acceptedWeight;
  private final @Nullable Function<? super T, ?> coalesceKey;
  private final @Nullable BinaryOperator<T> coalesceMerge;
  private final @Nullable ConcurrentHashMap<Object, Entry<T>> coalescing;
  /** One exception per refusal reason, without a stack trace, shared by all refused futures. */
  private final RejectedItemException[] refusals;

  Admission(BatcherConfig<T> config, WaitingRoom<T> waiting, FormerSignal former,
      RoomSignal room, Lifecycle lifecycle, Counters counters, Events<T> events,
      Settler<T> settler, FlushTracker flushes, @Nullable AtomicLong acceptedWeight,
      @Nullable ConcurrentHashMap<Object, Entry<T>> coalescing) {
    this.name = config.name();
    this.time = config.timeSource();
    this.intake = waiting.intake;
    this.waiting = waiting;
    this.former = former;
    this.room = room;
    this.lifecycle = lifecycle;
    this.counters = counters;
    this.events = events;
    this.settler = settler;
    this.flushes = flushes;
    this.maxBatchSize = config.maxBatchSize();
    this.maxBatchWeight = config.maxBatchWeight();
    this.capacityWeight = config.queueCapacityWeight();
    this.overflow = config.overflow();
    this.blockTimeoutNanos = config.blockTimeoutNanos();
    this.weigher = config.weigher();
    this.acceptedWeight = acceptedWeight;
    this.coalesceKey = config.coalesceKey();
    this.coalesceMerge = config.coalesceMerge();
    this.coalescing = coalescing;
    this.refusals = new RejectedItemException[RefusalReason.values().length];
    for (RefusalReason r : RefusalReason.values()) {
      refusals[r.ordinal()] = new RejectedItemException(name, r, describe(config, r), null);
    }
  }

  /**
   * Accepts {@code item}: its entry (which is the returned future), or a refused future.
   *
   * @param mayBlock whether a full queue under BLOCK may wait ({@code submit}) or not ({@code
   *     offer})
   */
  CompletableFuture<Void> accept(T item, boolean mayBlock) {
    requireNonNull(item, "item");
    long weight = 0;
    if (weigher != null) {
      try {
        weight = weigher.applyAsLong(item);
      } catch (Throwable t) { // any failure of user code refuses the item, checked or Error
        rethrowIfFatal(t);
        // the class, not toString(): user code, which may itself throw (the cause has the rest)
        return refuse(item, RefusalReason.WEIGHER_FAILED,
            "the weigher threw " + t.getClass().getName(), t);
      }
      if (weight < 0) {
        return refuse(item, RefusalReason.WEIGHER_FAILED,
            "the weigher returned a negative weight for the item: " + weight, null);
      }
    }
    if (weight > maxBatchWeight) {
      return refuse(item, RefusalReason.TOO_HEAVY,
          "the item weighs " + weight + ", more than maxBatchWeight " + maxBatchWeight, null);
    }
    if (coalesceKey != null) {
      Object key;
      try {
        key = coalesceKey.apply(item);
      } catch (Throwable t) { // a sneaky-thrown checked exception or an Error refuses it too
        rethrowIfFatal(t);
        return refuse(item, RefusalReason.MERGE_FAILED,
            "the coalesce key function threw " + t.getClass().getName(), t);
      }
      if (key != null) {
        return acceptCoalesced(item, key, mayBlock);
      }
    }
    if (lifecycle.isClosed()) {
      return refuse(item, RefusalReason.CLOSED, "", null); // cheap early answer
    }
    // The acceptance time is taken before the claim: user code (the TimeSource) never runs while
    // a claim is held, and the slot is published moments after it is claimed. While the former
    // is forming, its own recent clock reading serves (see FormerSignal): no clock read here.
    long acceptedAt = former.acceptanceTime(time);
    // Claim a numbered slot: one compare-and-set, at once the capacity reservation, the queue
    // position and the flush stamp; it fails once close() has run.
    long ticket = tryClaim(weight);
    if (ticket < 0) {
      ticket = claimSlowly(ticket, weight, mayBlock);
      if (ticket < 0) {
        return refuse(item, refusalOf(ticket), "", null);
      }
      acceptedAt = acceptedAfterWaiting(ticket, weight);
    }
    Entry<T> entry;
    try {
      entry = new Entry<>(item, acceptedAt,
          weigher == null ? null : new Entry.Extra(weight, null));
    } catch (Throwable t) { // out of memory: never leave a claimed slot unpublished
      cancel(ticket, weight);
      throw t;
    }
    intake.publish(ticket, entry);
    signalFormer(ticket, waiting.addQueuedWeight(weight));
    return entry;
  }

  /**
   * A claim that had to wait (BLOCK) or evict (DROP_OLDEST) is accepted now, not when the
   * producer arrived: reads the clock again, giving the claim back if the clock throws.
   */
  private long acceptedAfterWaiting(long ticket, long weight) {
    try {
      return time.nanoTime();
    } catch (Throwable t) {
      cancel(ticket, weight);
      throw t;
    }
  }

  private CompletableFuture<Void> acceptCoalesced(T item, Object key, boolean mayBlock) {
    ConcurrentHashMap<Object, Entry<T>> map = requireNonNull(coalescing);
    BinaryOperator<T> merge = requireNonNull(coalesceMerge);
    if (lifecycle.isClosed()) {
      return refuse(item, RefusalReason.CLOSED, "", null);
    }
    CompletableFuture<Void> waiter = new CompletableFuture<>();
    // Fast path: the key is waiting; merge into it under the map's bin lock. An entry is removed
    // from the map before it is finished, so a finished one is only met in a race: treat it as
    // absent.
    counters.merged.increment(); // before the merge: a merged entry may finish at once
    try {
      if (map.computeIfPresent(key,
          (k, e) -> e.isFinished() ? null : mergeInto(e, item, waiter, merge)) != null) {
        return waiter;
      }
    } catch (Throwable t) {
      if (t instanceof VirtualMachineError) {
        counters.merged.decrement();
        throw t;
      }
      CompletableFuture<Void> refusal = refuse(item, RefusalReason.MERGE_FAILED, "", t);
      counters.merged.decrement();
      return refusal;
    }
    counters.merged.decrement(); // not merged: counted below as accepted or refused
    long acceptedAt = former.acceptanceTime(time); // before the claim, as in accept()
    // The claim comes before the entry enters the map: an item merged into it, and returned,
    // before a flush() started, then lies below the flush's end, which waits for it.
    long ticket = tryClaim(0);
    if (ticket < 0) {
      ticket = claimSlowly(ticket, 0, mayBlock);
      if (ticket < 0) {
        return refuse(item, refusalOf(ticket), "", null);
      }
      acceptedAt = acceptedAfterWaiting(ticket, 0);
    }
    Entry<T> winner;
    Entry<T> fresh;
    counters.merged.increment(); // before the entry is visible: a merge into it may finish at once
    try {
      fresh = new Entry<>(item, acceptedAt, new Entry.Extra(0, key));
      winner = map.compute(key, (k, e) -> e == null || e.isFinished() ? fresh
          : mergeInto(e, item, waiter, merge));
    } catch (Throwable t) { // never leave a claimed slot unpublished
      counters.merged.decrement();
      if (t instanceof VirtualMachineError) { // out of memory, say: not the merge's fault
        cancel(ticket, 0);
        throw t;
      }
      counters.refused(RefusalReason.MERGE_FAILED); // before the claim goes
      cancel(ticket, 0);
      return refusal(item, RefusalReason.MERGE_FAILED, "", t);
    }
    if (winner != fresh) { // another producer created the key meanwhile; we merged into it
      cancel(ticket, 0);
      return waiter;
    }
    counters.merged.decrement(); // not merged after all: it is the entry
    // Published only once in the map: the former seals an entry by removing it from the map
    // after taking it out, which must not happen before it is in.
    intake.publish(ticket, fresh);
    signalFormer(ticket, 0);
    return fresh;
  }

  /**
   * Rethrows what no refusal can answer: the JVM itself failing ({@link OutOfMemoryError}, {@link
   * StackOverflowError}). Anything else a user function throws (a checked exception thrown
   * sneakily, an {@link AssertionError}) refuses the item.
   */
  private static void rethrowIfFatal(Throwable t) {
    if (t instanceof VirtualMachineError) {
      throw (VirtualMachineError) t;
    }
  }

  private static <T> Entry<T> mergeInto(
      Entry<T> entry, T item, CompletableFuture<Void> waiter, BinaryOperator<T> merge) {
    T merged = requireNonNull(merge.apply(entry.item, item), "coalesce merge returned null");
    entry.item = merged;
    entry.addWaiter(waiter);
    return entry;
  }

  /**
   * One compare-and-set on the fast path; with a weight bound, the weight is reserved first and
   * given back if the count is full. Between the two, a racing producer may be refused although
   * there was room by weight. The bounds themselves are never exceeded.
   *
   * <p>A total weight past {@code Long.MAX_VALUE} is past any {@code queueCapacityWeight}: the
   * queue is full by weight, and the overflow policy applies (QUEUE_FULL under FAIL, a wait under
   * BLOCK, an eviction under DROP_OLDEST), never an overflow into a small or negative total. An
   * ordinary weight is added at once (one atomic add), and a sum past {@code Long.MAX_VALUE} is
   * seen as negative: {@link #LARGE_WEIGHT} bounds what racing producers add meanwhile, far from
   * wrapping around to a positive sum. A larger weight is added only if it fits (compare-and-set).
   *
   * @return the ticket, or {@link Intake#FULL} or {@link Intake#CLOSED}
   */
  private long tryClaim(long weight) {
    AtomicLong accepted = acceptedWeight;
    if (accepted == null) {
      return intake.claim();
    }
    if (weight < LARGE_WEIGHT) {
      long w = accepted.addAndGet(weight);
      if (w > capacityWeight || w < 0) {
        accepted.addAndGet(-weight);
        return lifecycle.isClosed() ? Intake.CLOSED : Intake.FULL;
      }
    } else {
      long w;
      do {
        w = accepted.get();
        // w may be past the capacity (or negative) for a moment while a racer gives it back
        if (w < 0 || weight > capacityWeight - w) {
          return lifecycle.isClosed() ? Intake.CLOSED : Intake.FULL;
        }
      } while (!accepted.compareAndSet(w, w + weight));
    }
    long ticket = intake.claim();
    if (ticket < 0) {
      accepted.addAndGet(-weight);
    }
    return ticket;
  }

  /**
   * The claim found the queue full: applies the overflow policy.
   *
   * @param refused what the first attempt returned
   * @return the claim's ticket, or a negative code for the refusal: see {@link #refusalOf}
   */
  private long claimSlowly(long refused, long weight, boolean mayBlock) {
    if (refused == Intake.CLOSED) {
      return refused;
    }
    switch (overflow) {
      case FAIL:
        return Intake.FULL;
      case DROP_OLDEST:
        return claimByEviction(weight);
      case BLOCK:
      default:
        return mayBlock
            ? room.claimBlocking(() -> tryClaim(weight), time, blockTimeoutNanos)
            : Intake.FULL;
    }
  }

  private static RefusalReason refusalOf(long code) {
    if (code == RoomSignal.BLOCK_TIMEOUT) {
      return RefusalReason.BLOCK_TIMEOUT;
    } else if (code == RoomSignal.INTERRUPTED) {
      return RefusalReason.INTERRUPTED;
    } else if (code == Intake.CLOSED) {
      return RefusalReason.CLOSED;
    }
    return RefusalReason.QUEUE_FULL;
  }

  /**
   * Gives back a claim whose entry will never be published. In the ring, a cancelled claim keeps
   * its room until the former takes it out, so the former is woken for it: a closing batcher
   * waits for that room before it terminates, and the claim counts until then, so the former
   * cannot have left.
   */
  private void cancel(long ticket, long weight) {
    if (acceptedWeight != null) {
      acceptedWeight.addAndGet(-weight);
    }
    intake.cancel(ticket);
    former.wakeAny();
  }

  /** DROP_OLDEST: evicts the oldest waiting entry until the claim succeeds or none is left. */
  private long claimByEviction(long weight) {
    while (true) {
      Entry<T> victim = intake.evictOldest();
      if (victim == null) {
        return Intake.FULL; // nothing waiting to evict: all capacity is in flight
      }
      waiting.addQueuedWeight(-victim.weight());
      Settlement<T> s = settler.settlement(1);
      waiting.drop(victim, DropReason.EVICTED, s);
      s.commit();
      flushes.poll();
      long ticket = tryClaim(weight);
      if (ticket >= 0 || ticket == Intake.CLOSED) {
        return ticket;
      }
    }
  }

  private CompletableFuture<Void> refuse(
      T item, RefusalReason reason, String detail, @Nullable Throwable cause) {
    counters.refused(reason);
    return refusal(item, reason, detail, cause);
  }

  /**
   * Tells the listener and the log (rate-limited) and builds the refused future; the refusal is
   * counted already.
   */
  private CompletableFuture<Void> refusal(
      T item, RefusalReason reason, String detail, @Nullable Throwable cause) {
    events.notify(() -> events.listener.onRefused(item, reason));
    events.losses.refused(reason);
    RejectedItemException error = cause == null && detail.isEmpty()
        ? refusals[reason.ordinal()] // shared: shedding load must not allocate an exception each
        : new RejectedItemException(name, reason,
            // the class, not toString(): user code (the merge function, or a key's equals), which
            // may itself throw; the cause has the rest. As for the weigher and the key function.
            detail.isEmpty() ? "coalescing threw " + requireNonNull(cause).getClass().getName()
                : detail, cause);
    return new Refused(error);
  }

  /** The sentence that explains a refusal for {@code reason} by a batcher with {@code config}. */
  static String describe(BatcherConfig<?> config, RefusalReason reason) {
    switch (reason) {
      case QUEUE_FULL:
        return "the queue is full (queueCapacity " + config.queueCapacity() + ", overflow "
            + config.overflow() + ")";
      case BLOCK_TIMEOUT:
        return "the queue stayed full for blockTimeout "
            + Duration.ofNanos(config.blockTimeoutNanos());
      case INTERRUPTED:
        return "the producer was interrupted while waiting for room";
      case CLOSED:
        return "the batcher is closed";
      case TOO_HEAVY:
        return "the item weighs more than maxBatchWeight " + config.maxBatchWeight();
      case WEIGHER_FAILED:
        return "the weigher threw or returned a negative weight";
      case MERGE_FAILED:
      default:
        return "the coalesce key or merge function threw";
    }
  }

  /**
   * Wakes the former if it is parked and this entry matters to it. The claim's compare-and-set
   * ordered the claim before this read of the state, and the former publishes its state before
   * it looks at the intake's claims: either we see it parked, or it sees our claim.
   */
  private void signalFormer(long ticket, long queuedW) {
    int state = former.state();
    if (state == FormerSignal.RUNNING || state == FormerSignal.FORMING
        || state == FormerSignal.SETTLING) {
      return; // awake: it looks at the intake before it parks
    }
    if ((state == FormerSignal.DELAYING || state == FormerSignal.SATURATED)
        && !waiting.delayedBatchFull(ticket, queuedW, maxBatchSize, maxBatchWeight)) {
      return; // the delayed batch is not full yet; its deadline will wake the former
    }
    former.wake(state);
  }

  /** Whether {@code f} is a refusal (for {@code offer}). */
  static boolean isRefusal(CompletableFuture<Void> f) {
    return f instanceof Refused;
  }

  /** The future returned for a refused item; lets {@code offer} tell refusals apart. */
  private static final class Refused extends CompletableFuture<Void> {
    Refused(RejectedItemException e) {
      completeExceptionally(e);
    }
  }
}
