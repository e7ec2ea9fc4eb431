package dev.batcher;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A clock that moves only when a test calls {@link #advance}; threads parked on it wake when it
 * moves (and re-check their deadlines), so time-triggered behaviour is deterministic.
 */
final class ManualTimeSource implements TimeSource {
  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final Set<Thread> parked = ConcurrentHashMap.newKeySet();

  @Override
  public long nanoTime() {
    return now.get();
  }

  @Override
  public void parkNanos(Object blocker, long nanos) {
    if (nanos <= 0) {
      return;
    }
    Thread me = Thread.currentThread();
    parked.add(me);
    try {
      // Woken by advance() or by the batcher's own unpark; the caller re-checks its deadline.
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

  int parkedThreads() {
    return parked.size();
  }
}
