package dev.batcher.redis.internal;

import dev.batcher.RejectedItemException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import redis.clients.jedis.StreamEntryID;

/**
 * The items the downstream batcher refused for want of room (its queue full under {@code FAIL},
 * its {@code blockTimeout} out) or because it is closed, in stream order, with their entries still
 * held: backpressure, not failed deliveries. They are offered again, oldest first, after a backoff
 * that doubles from {@link #FLOOR_MILLIS} to {@link #CAP_MILLIS} (cut short when an item finishes),
 * and no refusal counts toward {@code maxDeliveries}. While they wait, their entries' idle time is
 * reset every {@code minIdle / 2} ({@code XCLAIM JUSTID}, which counts no delivery), so that no
 * other worker claims them.
 *
 * <p>Filled by the worker's thread, and by a completion callback for a refusal reported after
 * {@code submit} returned; drained by the worker's thread only. Internal: not API, may change in
 * any release.
 *
 * @param <T> the item type
 */
final class Refusals<T> {
  /** The first pause before an item is offered again, in milliseconds. */
  static final long FLOOR_MILLIS = 10;
  /** The longest pause before an item is offered again, in milliseconds. */
  static final long CAP_MILLIS = 1_000;

  /** What became of an item offered to the downstream batcher. */
  enum Outcome {
    /** Accepted, or failed for a reason of its own: the entry's fate is its future's. */
    ACCEPTED,
    /** Refused for want of room: offer it again later. */
    REFUSED,
    /** Refused because the batcher is closed: the worker cannot go on. */
    CLOSED
  }

  private record Refused<T>(StreamEntryID id, T item) {}

  private final ConcurrentLinkedDeque<Refused<T>> waiting = new ConcurrentLinkedDeque<>();
  private final StreamCommands redis;
  private final UnackedEntries unacked;
  private final long touchIntervalNanos;
  private long backoffMillis = FLOOR_MILLIS;
  private long nextOfferNanos;
  private long nextTouchNanos;

  Refusals(StreamCommands redis, UnackedEntries unacked, long minIdleMillis) {
    this.redis = redis;
    this.unacked = unacked;
    this.touchIntervalNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(1, minIdleMillis / 2));
  }

  /** {@return how {@code failure}, an item's, counts: a refusal for room, for closing, or not} */
  static Outcome refusal(Throwable failure) {
    Throwable f = failure instanceof CompletionException && failure.getCause() != null
        ? failure.getCause() : failure;
    if (!(f instanceof RejectedItemException r)) {
      return Outcome.ACCEPTED;
    }
    return switch (r.reason()) {
      case QUEUE_FULL, BLOCK_TIMEOUT, INTERRUPTED -> Outcome.REFUSED;
      case CLOSED -> Outcome.CLOSED;
      // the item itself is at fault: a failed delivery, counted toward maxDeliveries
      case TOO_HEAVY, MERGE_FAILED, WEIGHER_FAILED -> Outcome.ACCEPTED;
    };
  }

  boolean isEmpty() {
    return waiting.isEmpty();
  }

  /** Adds the held entry {@code id} and its item behind the others. */
  void add(StreamEntryID id, T item) {
    long now = System.nanoTime();
    if (waiting.isEmpty()) {
      nextOfferNanos = now + TimeUnit.MILLISECONDS.toNanos(backoffMillis);
      nextTouchNanos = now + touchIntervalNanos;
    }
    waiting.addLast(new Refused<>(id, item));
    unacked.wake();
  }

  /**
   * Once the backoff is over, offers the items again in order through {@code submit}, up to the
   * first refused again; before that, waits for it or for an item to finish (a change since
   * {@code version}). {@return the outcome of the last offer}
   */
  Outcome resubmit(BiFunction<StreamEntryID, T, Outcome> submit, long version)
      throws InterruptedException {
    long now = System.nanoTime();
    if (now - nextTouchNanos >= 0) {
      nextTouchNanos = now + touchIntervalNanos;
      List<StreamEntryID> ids = new ArrayList<>();
      waiting.forEach(r -> ids.add(r.id()));
      redis.touch(ids);
    }
    long wait = nextOfferNanos - now;
    if (wait > 0) {
      unacked.awaitChange(version, wait);
      if (unacked.version() == version) {
        return Outcome.REFUSED; // the backoff ran out: offer next round
      }
    }
    for (Refused<T> r; (r = waiting.peekFirst()) != null; ) {
      Outcome outcome = submit.apply(r.id(), r.item());
      if (outcome != Outcome.ACCEPTED) {
        backoffMillis = Math.min(CAP_MILLIS, backoffMillis * 2);
        nextOfferNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoffMillis);
        return outcome;
      }
      waiting.pollFirst();
    }
    backoffMillis = FLOOR_MILLIS;
    return Outcome.ACCEPTED;
  }
}
