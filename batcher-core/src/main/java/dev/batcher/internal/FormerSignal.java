package dev.batcher.internal;

import dev.batcher.TimeSource;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * What the batch former is doing, which thread it is, and a recent clock reading of its own:
 * every producer reads this line on every submit, and the former writes it a few times per batch
 * (when it starts forming, parks, wakes and leaves). The fields sit on cache lines of their own
 * (padding on both sides), so that the former's other writes never evict the line the producers
 * read: a cross-core cache miss costs a few hundred nanoseconds on the machines we measure on,
 * more than a whole submit.
 *
 * <p>States: {@link #RUNNING} (awake but not forming: in a sink call, completing, or just woken;
 * it will look at the intake before it parks), {@link #FORMING} (awake in the forming loop),
 * {@link #IDLE} (parked until any item arrives), {@link #DELAYING} (parked until a deadline or a
 * full batch), {@link #SATURATED} (parked for at most a few tens of microseconds, letting a
 * saturated batch fill, woken early by a full batch) and {@link #SETTLING} (awake, completing the
 * futures of a batch the sink wrote; only a sole blocking-sink worker, which is also the only
 * former, uses it).
 *
 * <p><b>The shared clock.</b> Reading the clock costs a producer 30 ns here (55 ns when two
 * threads read it at once), as much as the rest of a submit. While the former is {@link #FORMING}, {@link
 * #SATURATED} or {@link #SETTLING} it publishes its latest reading in {@link #recentNow}, and
 * producers stamp their items with it instead of reading the clock ({@link #acceptanceTime}). The
 * reading precedes the producer's claim, so an item's acceptance time is never later than the
 * truth: deadlines computed from it are never late. It is earlier by the age of the reading:
 * microseconds while the former forms or settles (settling refreshes it every 64 futures and
 * leaves SETTLING before completing a future that has dependents, which may run user code), the
 * short saturated wait at most while it waits for a fill. It is older when the operating system
 * deschedules the former meanwhile, and in one race: a dependent registered on a future at the
 * moment the settling worker completes it may run on the worker while the reading is shared;
 * items submitted meanwhile are stamped early by as long as that callback runs. In every other
 * state producers read the clock themselves.
 *
 * <p>Internal: not API, may change in any release.
 */
final class FormerSignal extends FormerSignalFields {
  static final int RUNNING = 0;
  static final int IDLE = 1;
  static final int DELAYING = 2;
  static final int FORMING = 3;
  static final int SATURATED = 4;
  static final int SETTLING = 5;

  long p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p1a, p1b, p1c, p1d, p1e, p1f;

  int state() {
    return state;
  }

  /** The time to stamp an item with: the former's recent reading, when it is fresh enough. */
  long acceptanceTime(TimeSource time) {
    int s = state;
    if (s == FORMING || s == SATURATED || s == SETTLING) {
      return recentNow; // read after the state: at least as recent as the state's publication
    }
    return time.nanoTime();
  }

  /** The former is forming, and {@code now} is its latest clock reading. */
  void forming(long now) {
    recentNow = now; // before the state: a producer that reads FORMING sees this reading
    if (state != FORMING) {
      state = FORMING;
    }
  }

  /**
   * The former is completing a batch's futures, and {@code now} is its latest clock reading. Only
   * a sole worker may call this: it overwrites the state without looking at it.
   */
  void settling(long now) {
    assert state == RUNNING || state == SETTLING : "settling from state " + state;
    recentNow = now; // before the state, as in forming()
    if (state != SETTLING) {
      state = SETTLING;
    }
  }

  /** Publishes the former's state; volatile, so it is ordered before the former's next look. */
  void set(int newState) {
    state = newState;
  }

  /** Records which thread forms batches; written only when it changes. */
  void formedBy(Thread t) {
    if (former != t) {
      former = t;
    }
  }

  /**
   * Wakes the former if it is parked in {@code expected}: only the caller that moves the state
   * from {@code expected} to RUNNING unparks, so a burst of producers causes one unpark.
   */
  void wake(int expected) {
    if (STATE.compareAndSet(this, expected, RUNNING)) {
      Thread t = former;
      if (t != null) {
        LockSupport.unpark(t);
      }
    }
  }

  /** Wakes the former whatever it is parked for (flush, close, abort, termination). */
  void wakeAny() {
    int s = state;
    if (s != RUNNING && s != FORMING && s != SETTLING) {
      wake(s);
    }
  }
}

abstract class FormerSignalPad {
  /**
   * Fills the 4 bytes after a 12-byte header (compressed class pointers): the field layout of JDK
   * 15 and later puts a subclass's int or boolean there otherwise, in front of the padding, on
   * the cache line of whatever object precedes this one in memory.
   */
  int p0g;

  long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p0a, p0b, p0c, p0d, p0e, p0f;
}

abstract class FormerSignalFields extends FormerSignalPad {
  static final VarHandle STATE;

  static {
    try {
      STATE = MethodHandles.lookup().findVarHandle(FormerSignalFields.class, "state", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /**
   * What the former is doing. Volatile (sequentially consistent) writes by the former; the one
   * compare-and-set ({@link FormerSignal#wake}) moves a parked state to RUNNING, so exactly one
   * waker unparks. The Dekker pair the wake-ups rely on: the former writes its parked state and
   * then reads the intake's claims; a producer compare-and-sets its claim and then reads this.
   * Both are sequentially consistent, so at least one of them sees the other.
   */
  volatile int state = FormerSignal.RUNNING;
  /**
   * The thread that forms batches. A volatile write by the former before it publishes a parked
   * state; a waker reads it after its compare-and-set on {@link #state} succeeded, so it sees the
   * thread that parked (or a later former, which is awake and needs no unpark).
   */
  volatile @Nullable Thread former;
  /**
   * The former's latest clock reading; meaningful only while FORMING, SATURATED or SETTLING.
   * Written (volatile) before the state that makes it meaningful; a producer reads it after
   * reading that state, so it sees this reading or a later one (release/acquire through {@link
   * #state}).
   */
  volatile long recentNow;
}
