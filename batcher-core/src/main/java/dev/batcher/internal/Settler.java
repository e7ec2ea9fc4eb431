package dev.batcher.internal;

import dev.batcher.DeadLetter;
import dev.batcher.DeadLetterHandler;
import dev.batcher.DropReason;
import dev.batcher.DroppedItemException;
import dev.batcher.ItemWriteException;
import dev.batcher.OverflowPolicy;
import dev.batcher.TimeSource;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * What every {@link Settlement} of one batcher shares: where endings are counted, capacity given
 * back, flushes advanced and termination detected, and how an item given up on is dead-lettered,
 * named and logged. One per batcher; thread-safe (any thread commits settlements).
 *
 * <p>Internal: not API, may change in any release.
 */
final class Settler<T> {
  final String name;
  final TimeSource time;
  final Counters counters;
  final Intake<T> intake;
  final RoomSignal room;
  final FlushTracker flushes;
  final Lifecycle lifecycle;
  final Events<T> events;
  final FormerSignal former;
  /** Weight of accepted, unfinished entries (see {@link Admission}); null without a weigher. */
  final @Nullable AtomicLong acceptedWeight;
  private final @Nullable DeadLetterHandler<T> deadLetterHandler;
  private final @Nullable Function<? super T, ?> idFunction;
  /** The sentence of each drop reason, by ordinal. */
  private final String[] dropDetails;
  /** Wall-clock anchor for turning TimeSource readings into the instants of a dead letter. */
  private final Instant startInstant = Instant.now();
  private final long startNanos;

  Settler(BatcherConfig<T> config, Counters counters, Intake<T> intake, RoomSignal room,
      FlushTracker flushes, Lifecycle lifecycle, Events<T> events, FormerSignal former,
      @Nullable AtomicLong acceptedWeight) {
    this.name = config.name();
    this.time = config.timeSource();
    this.counters = counters;
    this.intake = intake;
    this.room = room;
    this.flushes = flushes;
    this.lifecycle = lifecycle;
    this.events = events;
    this.former = former;
    this.acceptedWeight = acceptedWeight;
    this.deadLetterHandler = config.deadLetterHandler();
    this.idFunction = config.idFunction();
    this.dropDetails = new String[DropReason.values().length];
    for (DropReason r : DropReason.values()) {
      dropDetails[r.ordinal()] = describe(config, r);
    }
    this.startNanos = time.nanoTime();
  }

  /** A settlement whose ended entries forget their items (nothing reads them any more). */
  Settlement<T> settlement() {
    return new Settlement<>(this, 8, true);
  }

  Settlement<T> settlement(int expected) {
    return new Settlement<>(this, expected, true);
  }

  /**
   * A settlement for entries of a sink call that is still running: they forget their epochs but
   * keep their items until the call returns.
   */
  Settlement<T> settlementKeepingItems(int expected) {
    return new Settlement<>(this, expected, false);
  }

  /** Hands {@code e} to the dead-letter handler, if any, and returns how its future fails. */
  ItemWriteException deadLetter(Entry<T> e, Throwable cause) {
    DeadLetterHandler<T> handler = deadLetterHandler;
    int attempts = e.attemptCount();
    int splits = e.splitCount();
    if (handler == null) {
      return new ItemWriteException(name, cause, attempts, splits, false);
    }
    Entry.Attempts a = e.attempts; // set when its first attempt failed, before this give-up
    long first = a == null ? e.acceptedAt : a.first;
    long last = a == null ? e.acceptedAt : a.last;
    try {
      handler.handle(new DeadLetter<>(e.item, idOf(e.item), cause, attempts,
          instantOf(first), instantOf(last)));
      return new ItemWriteException(name, cause, attempts, splits, true);
    } catch (Throwable handlerFailure) {
      ItemWriteException error = new ItemWriteException(name, cause, attempts, splits, false);
      error.addSuppressed(handlerFailure);
      events.warnings.warn("batcher '{}': the dead-letter handler threw for item {}: {}", name,
          Describe.of(idOf(e.item)), Describe.of(handlerFailure));
      return error;
    }
  }

  boolean namesItems() {
    return idFunction != null;
  }

  @Nullable Object idOf(T item) {
    if (idFunction == null) {
      return null;
    }
    try {
      return idFunction.apply(item);
    } catch (Throwable e) {
      if (e instanceof VirtualMachineError) {
        throw (VirtualMachineError) e;
      }
      return "<idFunction threw " + e.getClass().getName() + ">";
    }
  }

  private Instant instantOf(long nanos) {
    return startInstant.plusNanos(nanos - startNanos);
  }

  void logGaveUp(long count, @Nullable List<Object> ids, Throwable firstCause) {
    if (ids != null) {
      events.warnings.warn("batcher '{}': {} item(s) failed for good, ids {}{}; first cause: {}",
          name, count, ids, count > ids.size() ? " (first " + ids.size() + ")" : "",
          Describe.of(firstCause));
    } else {
      events.warnings.warn("batcher '{}': {} item(s) failed for good (set an idFunction to name "
          + "them); first cause: {}", name, count, Describe.of(firstCause));
    }
  }

  /**
   * The exception for an item dropped for {@code reason}; {@code lastError}, the sink's error for
   * the item's last failed attempt, is its cause (null if no attempt failed).
   */
  DroppedItemException dropException(DropReason reason, @Nullable Throwable lastError) {
    return new DroppedItemException(name, reason, dropDetails[reason.ordinal()], lastError);
  }

  /** The sentence that explains a drop for {@code reason} by a batcher with {@code config}. */
  static String describe(BatcherConfig<?> config, DropReason reason) {
    switch (reason) {
      case EVICTED:
        return "evicted by a newer item: the queue was full (queueCapacity "
            + config.queueCapacity() + ", overflow " + OverflowPolicy.DROP_OLDEST + ")";
      case DELIVERY_TIMEOUT:
        return "not finished within deliveryTimeout "
            + Duration.ofNanos(config.deliveryTimeoutNanos())
            + "; if its batch was in flight it may still have been written";
      case CLOSE_TIMEOUT:
      default:
        return "not finished when close(Duration) ran out of time; if its batch was in flight it "
            + "may still have been written";
    }
  }
}
