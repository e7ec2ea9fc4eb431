package dev.batcher;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A clock that moves only when a test calls {@link #advance}; threads parked on it wake when it
 * moves (and re-check their deadlines), so time-triggered behaviour is deterministic. Tests learn
 * that a thread has reacted to a move by waiting for its park count to grow.
 */
final class ManualTimeSource implements TimeSource {
  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final Set<Thread> parked = ConcurrentHashMap.newKeySet();
  private final Map<String, AtomicLong> parks = new ConcurrentHashMap<>();
  private final ThreadLocal<Long> lastRead = ThreadLocal.withInitial(now::get);

  @Override
  public long nanoTime() {
    long t = now.get();
    lastRead.set(t);
    return t;
  }

  /**
   * Parks until the clock reaches the caller's last reading plus {@code nanos}, or an unpark. The
   * deadline is taken from the caller's last {@link #nanoTime()} so that an advance between that
   * reading and this call is not lost.
   */
  @Override
  public void parkNanos(Object blocker, long nanos) {
    if (nanos <= 0) {
      return;
    }
    long deadline = lastRead.get() + nanos;
    Thread me = Thread.currentThread();
    parked.add(me);
    try {
      if (now.get() - deadline >= 0) {
        return; // the clock moved past the deadline meanwhile
      }
      parks.computeIfAbsent(me.getName(), k -> new AtomicLong()).incrementAndGet();
      LockSupport.park(blocker);
    } finally {
      parked.remove(me);
    }
  }

  void advance(Duration d) {
    now.addAndGet(d.toNanos());
    for (Thread t : parked) {
      LockSupport.unpark(t);
    }
  }

  /** How many times threads whose name contains {@code namePart} have parked on this clock. */
  long parks(String namePart) {
    long n = 0;
    for (Map.Entry<String, AtomicLong> e : parks.entrySet()) {
      if (e.getKey().contains(namePart)) {
        n += e.getValue().get();
      }
    }
    return n;
  }

  /** Whether a thread whose name contains {@code namePart} is parked on this clock now. */
  boolean isParked(String namePart) {
    for (Thread t : parked) {
      if (t.getName().contains(namePart)) {
        return true;
      }
    }
    return false;
  }
}
