package dev.batcher.internal;

import dev.batcher.DropReason;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * The entries of one finished sink call that get another attempt, and the halves of a failed
 * atomic batch being split; {@link #schedule()} hands them to the former as groups, one backoff
 * per attempt count, so that items that failed together are retried together.
 *
 * <p>Thread-safety: confined to the thread completing the call.
 *
 * <p>Internal: not API, may change in any release.
 */
final class RetryPlan<T> {
  private final Outcomes<T> outcomes;
  private final long now;
  private final boolean pinned;
  private @Nullable Map<Integer, List<Entry<T>>> byAttempts;
  private @Nullable List<List<Entry<T>>> halves;
  private @Nullable List<Entry<T>> resends;
  private @Nullable Map<Integer, Long> backoffs;

  RetryPlan(Outcomes<T> outcomes, long now, boolean pinned) {
    this.outcomes = outcomes;
    this.now = now;
    this.pinned = pinned;
  }

  /**
   * Takes {@code e} for another attempt if it has attempts left and the attempt can start before
   * its delivery timeout; drops it when only the timeout stands in the way.
   *
   * @return true if taken or dropped, false if its attempts are spent
   */
  boolean offer(Entry<T> e, Throwable cause, Settlement<T> s) {
    if (e.isFinished()) {
      return true; // dropped by the monitor while its call ran: nothing left to retry
    }
    if (e.attemptCount() >= outcomes.retryPolicy.maxAttempts()) {
      return false;
    }
    if (outcomes.lifecycle.isAborted()) {
      s.drop(e, DropReason.CLOSE_TIMEOUT);
      return true;
    }
    long notBefore = now + backoffFor(e.attemptCount());
    if (notBefore - (e.acceptedAt + outcomes.deliveryTimeoutNanos) >= 0) {
      s.drop(e, DropReason.DELIVERY_TIMEOUT); // the retry could not start in time
      return true;
    }
    if (byAttempts == null) {
      byAttempts = new TreeMap<>();
    }
    byAttempts.computeIfAbsent(e.attemptCount(), k -> new ArrayList<>()).add(e);
    T item = e.item;
    int attempts = e.attemptCount();
    Events<T> events = outcomes.events;
    events.notify(() -> events.listener.onRetry(item, cause, attempts));
    return true;
  }

  /** The backoff for items with this many attempts, drawn once: checked and used alike. */
  private long backoffFor(int attempts) {
    if (backoffs == null) {
      backoffs = new HashMap<>();
    }
    return backoffs.computeIfAbsent(attempts, outcomes.retryPolicy::backoffNanos);
  }

  /**
   * An item the sink did not attempt (another item's failure rolled the batch back): sent again
   * at once, without a backoff.
   */
  void resend(Entry<T> e) {
    if (resends == null) {
      resends = new ArrayList<>();
    }
    resends.add(e);
  }

  /** A half of a failed atomic batch: sent on its own, at once. */
  void pin(List<Entry<T>> half) {
    if (halves == null) {
      halves = new ArrayList<>(2);
    }
    halves.add(half);
  }

  /** Hands the groups to the former and wakes it. */
  void schedule() {
    RetryQueue<T> queue = outcomes.retries;
    boolean any = false;
    if (halves != null) {
      for (List<Entry<T>> half : halves) {
        queue.handHalf(half, now);
        any = true;
      }
    }
    if (resends != null) {
      queue.hand(resends, false, now); // due at once, and may share a batch with newer items
      any = true;
    }
    if (byAttempts != null) {
      for (Map.Entry<Integer, List<Entry<T>>> g : byAttempts.entrySet()) {
        long notBefore = now + backoffFor(g.getKey());
        outcomes.counters.retries.add(g.getValue().size());
        // A single item of a pinned group stays pinned: it is being isolated.
        queue.hand(g.getValue(), pinned, notBefore);
        any = true;
      }
    }
    if (any) {
      outcomes.former.wakeAny();
      if (outcomes.lifecycle.isAborted()) {
        // close(Duration) gave up meanwhile and may have drained the inbox already.
        Settlement<T> s = outcomes.settler.settlement();
        queue.dropInbox(s);
        s.commit();
      }
    }
  }
}
