package dev.batcher.internal;

import static java.util.Objects.requireNonNull;

import dev.batcher.BatchEvent;
import dev.batcher.BatchResult;
import dev.batcher.RetryPolicy;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Turns a finished sink call into the endings of its items: successes, give-ups and drops go
 * into one {@link Settlement}; failed items with attempts left go into a {@link RetryPlan}. See
 * {@code docs/failures.md}: per-item failures are retried or given up one by one; a thrown
 * failure is retried as a whole while it is retryable and attempts remain, and otherwise, for an
 * atomic sink, the batch is split in halves until the items that fail on their own are found.
 *
 * <p>Thread-safety: any thread may complete a call; each call is completed once (it was settled
 * by {@link SinkWorkers} first).
 *
 * <p>Internal: not API, may change in any release.
 */
final class Outcomes<T> {
  final String name;
  final RetryPolicy retryPolicy;
  final long deliveryTimeoutNanos;
  final RetryQueue<T> retries;
  final FormerSignal former;
  final Lifecycle lifecycle;
  final Counters counters;
  final Events<T> events;
  final Settler<T> settler;
  private final boolean atomicSink;
  /** One worker calling a blocking sink: it may share its clock while it settles a batch. */
  private final boolean soleWorker;

  Outcomes(BatcherConfig<T> config, RetryQueue<T> retries, FormerSignal former,
      Lifecycle lifecycle, Counters counters, Events<T> events, Settler<T> settler) {
    this.name = config.name();
    this.retryPolicy = config.retryPolicy();
    this.deliveryTimeoutNanos = config.deliveryTimeoutNanos();
    this.retries = retries;
    this.former = former;
    this.lifecycle = lifecycle;
    this.counters = counters;
    this.events = events;
    this.settler = settler;
    this.atomicSink = config.atomicSink();
    this.soleWorker = config.asyncSink() == null && config.maxInFlightBatches() == 1;
  }

  /**
   * Ends the items of a finished sink call as its result says, or schedules them again.
   *
   * @param now when the call was seen to finish
   */
  void complete(InFlight<T> flight, @Nullable BatchResult result, @Nullable Throwable failure,
      long now) {
    long sinkNanos = now - flight.dispatchedAt;
    List<Entry<T>> entries = flight.entries;
    Throwable broken = failure == null ? brokenContract(result, entries.size()) : null;
    boolean splittable = true;
    if (broken == null && failure == null && requireNonNull(result).batchFailure() != null) {
      failure = result.batchFailure(); // about no item: retried whole, never split
      splittable = false;
    }
    Settlement<T> s = settler.settlement(entries.size());
    RetryPlan<T> again = null; // only when something failed
    int ok = 0;
    try {
      if (broken != null) {
        for (Entry<T> e : entries) {
          e.attemptFailed(flight.dispatchedAt, broken);
          s.giveUp(e, broken);
        }
      } else if (failure == null) {
        BatchResult r = requireNonNull(result);
        if (r.isSuccess()) { // every item: no per-item outcomes to read
          for (Entry<T> e : entries) {
            s.succeed(e);
          }
          ok = entries.size();
        } else {
          for (int i = 0; i < entries.size(); i++) {
            Entry<T> e = entries.get(i);
            BatchResult.Outcome outcome = r.outcome(i);
            if (outcome == BatchResult.Outcome.SUCCEEDED) {
              s.succeed(e);
              ok++;
              continue;
            }
            if (outcome == BatchResult.Outcome.NOT_ATTEMPTED) {
              Entry.Attempts a = e.attempts;
              if (a != null && !flight.isolating) {
                a.count--; // that send was no attempt of its own: the resend is
              }
              if (again == null) {
                again = new RetryPlan<>(this, now, flight.pinned);
              }
              again.resend(e);
              continue;
            }
            Throwable cause = requireNonNull(r.cause(i));
            e.attemptFailed(flight.dispatchedAt, cause);
            if (outcome == BatchResult.Outcome.FAILED_PERMANENTLY) {
              s.giveUp(e, cause);
              continue;
            }
            if (again == null) {
              again = new RetryPlan<>(this, now, flight.pinned);
            }
            if (!again.offer(e, cause, s)) {
              s.giveUp(e, cause);
            }
          }
        }
      } else {
        for (Entry<T> e : entries) {
          e.attemptFailed(flight.dispatchedAt, failure);
        }
        again = new RetryPlan<>(this, now, flight.pinned);
        failWhole(flight, failure, splittable, again, s);
      }
    } catch (Throwable bug) {
      // User code on this path (the retry classifier, a listener) threw. The batch is out of the
      // in-flight set, so nothing else would ever end its items: give them up here.
      SafeLog.error(Events.LOG, "batcher '{}': failed while handling the result of a batch of {} "
          + "items; giving them up", name, entries.size(), bug);
      again = null;
      for (Entry<T> e : entries) {
        e.attemptFailed(flight.dispatchedAt, bug);
        s.giveUp(e, bug);
      }
    }
    counters.batch(flight.cause, entries.size());
    // The event goes out inside the commit, before the futures complete (BatcherListener).
    BatchEvent event = events.wantsBatches ? new BatchEvent(flight.cause, entries.size(),
        flight.weight, ok, entries.size() - ok, sinkNanos) : null;
    s.commit(now, soleWorker, event);
    if (again != null) {
      again.schedule();
    }
  }

  /** A sink that broke its contract (a bug no retry can mend), or null if the result is sound. */
  private static @Nullable Throwable brokenContract(@Nullable BatchResult result, int size) {
    if (result == null) {
      return new NullPointerException("BatchSink.write returned null instead of a result");
    } else if (result.size() >= 0 && result.size() != size) {
      return new IllegalStateException("BatchSink.write returned a result for " + result.size()
          + " items for a batch of " + size);
    } else if (result.notAttemptedCount() == size && size > 0) {
      // Sent again at once, without a backoff, such a batch would loop until its items time out.
      return new IllegalStateException("BatchSink.write marked every item of a batch of " + size
          + " NOT_ATTEMPTED; mark the item that failed, or throw");
    }
    return null;
  }

  /**
   * The whole batch failed: retry it, split it (if {@code splittable} and the sink is atomic), or
   * give its items up.
   */
  private void failWhole(InFlight<T> flight, Throwable failure, boolean splittable,
      RetryPlan<T> again, Settlement<T> s) {
    List<Entry<T>> live = new ArrayList<>(flight.entries.size());
    for (Entry<T> e : flight.entries) {
      if (!e.isFinished()) {
        live.add(e);
      }
    }
    boolean retryable = retryPolicy.isRetryable(failure);
    List<Entry<T>> spent = live;
    if (retryable && !(flight.pinned && live.size() > 1)) {
      // A half under isolation that fails is split again rather than retried: that is what
      // bounds isolation to O(k log n) calls. Single items and ordinary batches retry.
      spent = new ArrayList<>();
      for (Entry<T> e : live) {
        if (!again.offer(e, failure, s) && !e.isFinished()) {
          spent.add(e);
        }
      }
    }
    if (spent.isEmpty()) {
      return;
    }
    if (atomicSink && splittable && spent.size() > 1) {
      // Nothing of an atomic batch was written: split it and send each half on its own.
      int mid = spent.size() / 2;
      counters.bisections.increment();
      for (Entry<T> e : spent) {
        requireNonNull(e.attempts, "a failed entry has attempts").splits++;
      }
      again.pin(new ArrayList<>(spent.subList(0, mid)));
      again.pin(new ArrayList<>(spent.subList(mid, spent.size())));
      return;
    }
    for (Entry<T> e : spent) {
      s.giveUp(e, failure);
    }
  }
}
