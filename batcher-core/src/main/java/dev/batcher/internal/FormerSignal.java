package dev.batcher.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * What the batch former is doing, and which thread it is: every producer reads {@link #state()}
 * on every submit, and the former writes it only when it parks and wakes. The fields sit on cache
 * lines of their own (padding on both sides), so that the former's other writes never evict the
 * line the producers read: a cross-core cache miss costs a few hundred nanoseconds on the
 * machines we measure on, more than a whole submit.
 *
 * <p>States: {@link #RUNNING} (not parked; it will look at the intake before it parks), {@link
 * #IDLE} (parked until any item arrives) and {@link #LINGER} (parked until a deadline or a full
 * batch).
 *
 * <p>Internal: not API, may change in any release.
 */
final class FormerSignal extends FormerSignalFields {
  static final int RUNNING = 0;
  static final int IDLE = 1;
  static final int LINGER = 2;

  long p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p1a, p1b, p1c, p1d, p1e, p1f;

  int state() {
    return state;
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
    if (s != RUNNING) {
      wake(s);
    }
  }
}

abstract class FormerSignalPad {
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

  volatile int state = FormerSignal.RUNNING;
  volatile @Nullable Thread former;
}
