package dev.batcher.internal;

import static java.util.Objects.requireNonNull;

import dev.batcher.BatchEvent;
import dev.batcher.DropReason;
import dev.batcher.DroppedItemException;
import dev.batcher.ItemLatencies;
import dev.batcher.ItemWriteException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Collects the endings of a group of entries and applies them in one go, in this order:
 * dead-letter handlers first (their outcome decides how a future fails), then counters (so a test
 * that waits on a future sees them), capacity (so a callback that submits finds room), the
 * listener (failures and drops, the latencies, the sink call's event: before the futures, so that
 * whoever joined a future finds the events delivered), futures, and last flush epochs and the
 * termination check (so a terminated batcher sends no more events). Every ending passes {@link
 * Entry#tryFinish()} first, so an entry ends exactly once whichever thread gets there.
 *
 * <p>Thread-safety: one thread fills and commits a settlement; commit only once.
 *
 * <p>Internal: not API, may change in any release.
 */
final class Settlement<T> {
  /** How many futures a settling sole worker completes between two readings of the clock. */
  private static final int SETTLING_CLOCK_STRIDE = 64;
  /** After this many futures with dependents, a settling worker stops sharing its clock. */
  private static final int SETTLING_MAX_CALLBACKS = 8;

  private static final byte SUCCEEDED = 0;
  private static final byte DROPPED = 1;
  private static final byte GAVE_UP = 2;

  private final Settler<T> settler;
  /** Whether ended entries forget their items: false while their sink call may still read them. */
  private final boolean forgetItems;
  private Entry<T>[] ended;
  /** Kind of each ending; null while every ending so far is a success (the common case). */
  private byte @Nullable [] kinds;
  /** Reason or cause of each ending, by kind; allocated with {@link #kinds}. */
  private @Nullable Object @Nullable [] details;
  /** The item of each ending other than a success, for the listener; allocated with kinds. */
  private @Nullable Object @Nullable [] items;
  private int n;
  private long weight;

  @SuppressWarnings("unchecked")
  Settlement(Settler<T> settler, int expected, boolean forgetItems) {
    this.settler = settler;
    this.forgetItems = forgetItems;
    this.ended = (Entry<T>[]) new Entry<?>[Math.max(1, expected)];
  }

  void succeed(Entry<T> e) {
    if (e.tryFinish()) {
      add(e, SUCCEEDED, null);
    }
  }

  void drop(Entry<T> e, DropReason reason) {
    if (e.tryFinish()) {
      add(e, DROPPED, reason);
    }
  }

  /** The item failed for good: permanently, or out of attempts. */
  void giveUp(Entry<T> e, Throwable cause) {
    if (e.tryFinish()) {
      add(e, GAVE_UP, cause);
    }
  }

  boolean isEmpty() {
    return n == 0;
  }

  private void add(Entry<T> e, byte kind, @Nullable Object detail) {
    if (n == ended.length) {
      int size = n * 2;
      ended = Arrays.copyOf(ended, size);
      if (kinds != null) {
        kinds = Arrays.copyOf(kinds, size);
        details = Arrays.copyOf(requireNonNull(details), size);
        items = Arrays.copyOf(requireNonNull(items), size);
      }
    }
    if (kind != SUCCEEDED && kinds == null) {
      kinds = new byte[ended.length]; // zero: SUCCEEDED for the endings before this one
      details = new Object[ended.length];
      items = new Object[ended.length];
    }
    ended[n] = e;
    if (kinds != null) {
      kinds[n] = kind;
      requireNonNull(details)[n] = detail;
      if (kind != SUCCEEDED) {
        requireNonNull(items)[n] = e.item; // read now: the entry may forget it before notify
      }
    }
    n++;
    if (settler.acceptedWeight != null) {
      weight += e.weight();
    }
  }

  void commit() {
    commit(settler.time.nanoTime(), false, null);
  }

  /**
   * Commits with {@code now} as the completion time of every entry (for the latencies); {@code
   * shareClock} only from the sole worker (see {@link FormerSignal#settling}): completing
   * thousands of futures takes long enough that producers would otherwise read the clock
   * meanwhile. {@code batch}, if not null, is the event of the sink call these endings came from,
   * delivered with the other events, before the futures complete.
   */
  void commit(long now, boolean shareClock, @Nullable BatchEvent batch) {
    int n = this.n;
    if (n == 0) {
      if (batch != null) { // its items had all ended already (dropped while the call ran)
        Events<T> events = settler.events;
        events.notify(() -> events.listener.onBatch(batch));
      }
      return;
    }
    Entry<T>[] ended = this.ended;
    byte[] kinds = this.kinds;
    long ok = 0;
    Throwable[] errors = null;
    if (kinds == null) {
      for (int i = 0; i < n; i++) {
        ok += ended[i].count();
      }
    } else {
      errors = new Throwable[n];
      try {
        ok = tally(ended, kinds, requireNonNull(details), errors);
      } catch (Throwable bug) {
        // Nothing in the tally should throw (user code in it is guarded); if it does, the
        // entries have passed tryFinish() and nobody else would ever end them: fail the futures
        // still without an exception all the same, and go on releasing and completing.
        fillIn(errors, kinds, requireNonNull(details), bug);
        SafeLog.error(Events.LOG, "batcher '{}': failed while settling {} item(s); failing them",
            settler.name, n, bug);
      }
    }
    Counters counters = settler.counters;
    if (ok > 0) {
      counters.succeeded.add(ok);
    }
    if (settler.acceptedWeight != null) {
      settler.acceptedWeight.addAndGet(-weight);
    }
    settler.intake.release(n);
    settler.room.signal(n);
    notifyListener(kinds, n, now, batch);
    complete(ended, errors, n, now, shareClock);
    // A caller may keep a future: it must not keep the item and the epochs reachable. The pass
    // that counts epochs forgets them (items only if no sink call still reads them).
    countFinishedByEpoch(ended, n, forgetItems);
    settler.flushes.poll();
    settler.lifecycle.afterRelease();
  }

  /**
   * The listener's events for these endings: failures and drops, the latencies (only if the
   * listener wants them: a view, no copy), then the sink call's event. Each call is guarded: a
   * listener that throws is logged, and the futures are completed all the same.
   */
  private void notifyListener(byte @Nullable [] kinds, int n, long now,
      @Nullable BatchEvent batch) {
    Events<T> events = settler.events;
    if (kinds != null) {
      notifyEndings(kinds, requireNonNull(details), requireNonNull(items), n);
    }
    if (events.wantsLatencies) {
      Latencies latencies = new Latencies(ended, n, now);
      events.notify(() -> events.listener.onItemsCompleted(latencies));
    }
    if (batch != null) {
      events.notify(() -> events.listener.onBatch(batch));
    }
  }

  /**
   * The latencies of the first {@code n} entries, ended at {@code now}: the very values {@link
   * #complete} records in the histogram.
   */
  private static final class Latencies implements ItemLatencies {
    private final Entry<?>[] ended;
    private final int n;
    private final long now;

    Latencies(Entry<?>[] ended, int n, long now) {
      this.ended = ended;
      this.n = n;
      this.now = now;
    }

    @Override
    public int count() {
      return n;
    }

    @Override
    public long nanos(int index) {
      if (index < 0 || index >= n) {
        throw new IndexOutOfBoundsException("index must be from 0 to " + (n - 1) + ": " + index);
      }
      return now - ended[index].acceptedAt;
    }

    @Override
    public String toString() {
      return "ItemLatencies{count=" + n + "}";
    }
  }

  /**
   * Completes the futures, recording each item's enqueue-to-completion latency in the same pass
   * (one pass over thousands of entries, not two: the second would miss the cache). So {@code
   * metrics().latency()} includes a group once this returns, a moment after its futures complete.
   */
  private void complete(
      Entry<T>[] ended, Throwable @Nullable [] errors, int n, long now, boolean shareClock) {
    FormerSignal former = settler.former;
    // A fresh reading, not now: user code (a retry classifier, a dead-letter handler, a
    // listener) may have run since now was read.
    boolean share = shareClock && shareReading(-1);
    int callbacks = 0;
    try (Histogram.Batch latency = settler.counters.latencies.batch()) {
      for (int i = 0; i < n; i++) {
        Entry<T> e = ended[i];
        latency.record(now - e.acceptedAt);
        if (share) {
          if (e.mayRunCallbacks()) {
            // A dependent may be user code that takes its time: no reading is shared while it
            // runs. After a few, the batch stops sharing (each costs the producers a miss on
            // the state's line, and the worker a clock read).
            former.set(FormerSignal.RUNNING);
            end(e, errors, i);
            share = ++callbacks < SETTLING_MAX_CALLBACKS && shareReading(i);
            continue;
          }
          if (i % SETTLING_CLOCK_STRIDE == SETTLING_CLOCK_STRIDE - 1) {
            share = shareReading(i);
          }
        }
        end(e, errors, i);
      }
    } finally {
      if (share) {
        former.set(FormerSignal.RUNNING);
      }
    }
  }

  /**
   * Counts the endings per flush epoch (entries of one group nearly always share an epoch) and
   * makes each entry forget its epoch, and its item too if {@code forgetItems}.
   */
  private static <T> void countFinishedByEpoch(Entry<T>[] ended, int n, boolean forgetItems) {
    FlushTracker.Epoch run = null;
    long runLength = 0;
    for (int i = 0; i < n; i++) {
      Entry<T> e = ended[i];
      FlushTracker.Epoch epoch = e.epoch;
      if (forgetItems) {
        e.forget();
      } else {
        e.forgetEpoch();
      }
      if (epoch != run) {
        if (run != null) {
          run.finished.add(runLength);
        }
        run = epoch;
        runLength = 0;
      }
      runLength++;
    }
    if (run != null) {
      run.finished.add(runLength);
    }
  }

  /**
   * Publishes a fresh clock reading as SETTLING; false (and RUNNING) if the time source threw,
   * which must not leave futures of this batch uncompleted.
   */
  private boolean shareReading(int at) {
    try {
      settler.former.settling(settler.time.nanoTime());
      return true;
    } catch (Throwable t) {
      settler.former.set(FormerSignal.RUNNING);
      SafeLog.warn(Events.LOG, "batcher '{}': the time source failed while completing a batch "
          + "(at {}); producers read it themselves", settler.name, at, t);
      return false;
    }
  }

  private void end(Entry<T> e, Throwable @Nullable [] errors, int i) {
    if (errors == null || errors[i] == null) {
      e.succeed();
    } else {
      e.fail(errors[i], settler.name);
    }
  }

  /**
   * Counts the endings other than successes, hands give-ups to the dead-letter handler (its
   * outcome decides how the future fails) and fills in each failed future's exception.
   *
   * @return the number of submitted items that succeeded
   */
  private long tally(Entry<T>[] ended, byte[] kinds, Object[] details, Throwable[] errors) {
    long ok = 0;
    long lettered = 0;
    long bad = 0;
    long[] droppedBy = null;
    DroppedItemException[] shared = new DroppedItemException[DropReason.values().length];
    List<Object> gaveUpIds = null;
    Throwable firstCause = null;
    for (int i = 0; i < n; i++) {
      Entry<T> e = ended[i];
      byte kind = kinds[i];
      if (kind == SUCCEEDED) {
        ok += e.count();
      } else if (kind == DROPPED) {
        DropReason r = (DropReason) requireNonNull(details[i]);
        if (droppedBy == null) {
          droppedBy = new long[shared.length];
        }
        droppedBy[r.ordinal()] += e.count();
        Throwable lastError = e.lastError();
        if (lastError != null) { // it failed before: its own exception, with the sink's error
          errors[i] = settler.dropException(r, lastError);
        } else {
          if (shared[r.ordinal()] == null) {
            shared[r.ordinal()] = settler.dropException(r, null);
          }
          errors[i] = shared[r.ordinal()];
        }
      } else {
        Throwable cause = (Throwable) requireNonNull(details[i]);
        ItemWriteException error = settler.deadLetter(e, cause);
        if (error.deadLettered()) {
          lettered += e.count();
        } else {
          bad += e.count();
        }
        errors[i] = error;
        if (firstCause == null) {
          firstCause = cause;
        }
        if (settler.namesItems()) {
          if (gaveUpIds == null) {
            gaveUpIds = new ArrayList<>();
          }
          if (gaveUpIds.size() < 10) {
            gaveUpIds.add(Describe.of(settler.idOf(e.item))); // logged: a string that cannot throw
          }
        }
      }
    }
    Counters counters = settler.counters;
    if (lettered > 0) {
      counters.deadLettered.add(lettered);
    }
    if (bad + lettered > 0) {
      counters.failed.add(bad);
      settler.logGaveUp(bad + lettered, gaveUpIds, requireNonNull(firstCause));
    }
    if (droppedBy != null) {
      DropReason[] reasons = DropReason.values();
      for (int i = 0; i < droppedBy.length; i++) {
        if (droppedBy[i] > 0) {
          counters.dropped(reasons[i], droppedBy[i]);
          settler.events.losses.dropped(reasons[i]); // counted first: the line reports the count
        }
      }
    }
    return ok;
  }

  /**
   * After the tally failed: gives every non-success still without an exception one that cannot
   * fail to be made (no user object's text in its message).
   */
  private void fillIn(Throwable[] errors, byte[] kinds, Object[] details, Throwable bug) {
    for (int i = 0; i < n; i++) {
      if (kinds[i] == SUCCEEDED || errors[i] != null) {
        continue;
      }
      if (kinds[i] == DROPPED) {
        DropReason r = (DropReason) requireNonNull(details[i]);
        errors[i] = new DroppedItemException(settler.name, r, "dropped (" + r + ")", null);
      } else {
        errors[i] = new ItemWriteException(settler.name, bug, ended[i].attemptCount(),
            ended[i].splitCount(), false);
      }
    }
  }

  @SuppressWarnings("unchecked")
  private void notifyEndings(byte[] kinds, Object[] details, Object[] items, int n) {
    Events<T> events = settler.events;
    for (int i = 0; i < n; i++) {
      byte kind = kinds[i];
      if (kind == SUCCEEDED) {
        continue;
      }
      T item = (T) items[i];
      Object detail = requireNonNull(details[i]);
      if (kind == DROPPED) {
        events.notify(() -> events.listener.onDropped(item, (DropReason) detail));
      } else {
        events.notify(() -> events.listener.onFailed(item, (Throwable) detail));
      }
    }
  }
}
