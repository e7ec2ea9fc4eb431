package dev.batcher.testing;

import dev.batcher.TimeSource;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.concurrent.locks.LockSupport;

/**
 * The one clock fake of the batcher's tests: a {@link TimeSource} that a test controls, so that
 * time-triggered behaviour (lingers, backoffs, delivery timeouts) is exercised deterministically,
 * without sleeps.
 *
 * <p>A clock from {@link #ManualTimeSource()} stands still until the test calls {@link #advance};
 * threads parked on it wake when it moves and re-check their deadlines. A clock from {@link
 * #realTime()} runs with {@link System#nanoTime()} and parks for real, for tests that watch how a
 * batcher waits in real time (its park counts) or need a hook or a stall on the real clock. Both
 * kinds offer the same instruments:
 * <ul>
 *   <li>{@link #parks(String)} and {@link #isParked(String)}: a test learns that a batcher thread
 *       has reacted to a move by waiting for its park count to grow;
 *   <li>{@link #reads()}: how often the clock was read;
 *   <li>{@link #onRead(Runnable)}: user code run inside each read, on the reading thread (to act
 *       at the exact moment a batcher thread takes the time);
 *   <li>{@link #onNextRead(BooleanSupplier, Runnable)}: user code run once, inside the first read
 *       a condition accepts (to stop one thread at a gate at the exact point it reads the time);
 *   <li>{@link #failNextRead(BooleanSupplier, Error)} and {@link #failNextRead(BooleanSupplier,
 *       RuntimeException)}: the first read a condition accepts throws (a clock bug at a chosen
 *       point); {@link #onRead(Runnable)} with a hook that throws breaks every read;
 *   <li>{@link #stallNextReadBy(Thread)}: holds one thread inside its next read until released
 *       (to open a race window at a clock read).
 * </ul>
 *
 * <p>Thread-safe. Park counts are kept by thread name, so give the batchers under test distinct
 * names when one clock serves several.
 */
public final class ManualTimeSource implements TimeSource {

  /** The reading of a new standing clock, in nanoseconds: {@value}. */
  public static final long START_NANOS = 1_000_000_000L;

  private final boolean real;
  private final AtomicLong offset = new AtomicLong();
  private final AtomicLong reads = new AtomicLong();
  private final Set<Thread> parked = ConcurrentHashMap.newKeySet();
  private final Map<String, AtomicLong> parks = new ConcurrentHashMap<>();
  private final List<Runnable> readHooks = new CopyOnWriteArrayList<>();
  private final ThreadLocal<Long> lastRead = ThreadLocal.withInitial(this::now);

  /** Creates a clock that reads {@link #START_NANOS} and moves only when advanced. */
  public ManualTimeSource() {
    this(false);
  }

  private ManualTimeSource(boolean real) {
    this.real = real;
  }

  /**
   * Returns a clock that runs with {@link System#nanoTime()} (plus whatever it was advanced by)
   * and parks for real time, with the same instruments as a standing one.
   *
   * @return a new real-time clock
   */
  public static ManualTimeSource realTime() {
    return new ManualTimeSource(true);
  }

  /** Runs the {@linkplain #onRead read hooks}, then returns the current reading. */
  @Override
  public long nanoTime() {
    reads.incrementAndGet();
    for (Runnable hook : readHooks) {
      hook.run();
    }
    long t = now();
    lastRead.set(t);
    return t;
  }

  /**
   * Parks until the clock reaches the caller's last reading plus {@code nanos}, or an unpark. On
   * a standing clock the deadline is taken from the caller's last {@link #nanoTime()}, so that an
   * advance between that reading and this call is not lost; a real-time clock parks for {@code
   * nanos} of real time. Returns at once, without counting a park, if the deadline has passed.
   */
  @Override
  public void parkNanos(Object blocker, long nanos) {
    if (nanos <= 0) {
      return;
    }
    long deadline = real ? now() + nanos : lastRead.get() + nanos;
    Thread me = Thread.currentThread();
    parked.add(me);
    try {
      if (now() - deadline >= 0) {
        return; // the clock moved past the deadline meanwhile
      }
      parks.computeIfAbsent(me.getName(), k -> new AtomicLong()).incrementAndGet();
      if (real) {
        LockSupport.parkNanos(blocker, nanos);
      } else {
        LockSupport.park(blocker);
      }
    } finally {
      parked.remove(me);
    }
  }

  /**
   * Moves the clock forward by {@code d} and wakes every thread parked on it (each re-checks its
   * own deadline, as after a spurious wake-up).
   *
   * @param d how far to move the clock; not negative
   */
  public void advance(Duration d) {
    offset.addAndGet(d.toNanos());
    for (Thread t : parked) {
      LockSupport.unpark(t);
    }
  }

  /**
   * Returns the current reading without counting it as a read and without running the hooks.
   *
   * @return the current reading, in nanoseconds
   */
  public long now() {
    return real ? System.nanoTime() + offset.get() : START_NANOS + offset.get();
  }

  /**
   * Returns how many times {@link #nanoTime()} was called.
   *
   * @return the number of reads
   */
  public long reads() {
    return reads.get();
  }

  /**
   * Returns how many times threads whose name contains {@code namePart} parked on this clock.
   *
   * @param namePart a part of the thread names counted
   * @return the number of parks
   */
  public long parks(String namePart) {
    long n = 0;
    for (Map.Entry<String, AtomicLong> e : parks.entrySet()) {
      if (e.getKey().contains(namePart)) {
        n += e.getValue().get();
      }
    }
    return n;
  }

  /**
   * Returns whether a thread whose name contains {@code namePart} is parked on this clock now.
   *
   * @param namePart a part of the thread names looked for
   * @return whether such a thread is parked
   */
  public boolean isParked(String namePart) {
    for (Thread t : parked) {
      if (t.getName().contains(namePart)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Runs {@code hook} at the start of every {@link #nanoTime()} call, on the reading thread,
   * before the reading is taken. A hook that reads this clock runs itself again: guard it.
   *
   * @param hook what to run before each reading
   */
  public void onRead(Runnable hook) {
    readHooks.add(Objects.requireNonNull(hook, "hook"));
  }

  /**
   * Runs {@code action} once, inside the first {@link #nanoTime()} call for which {@code when}
   * holds (evaluated on the reading thread, before the reading is taken), then forgets it. If two
   * threads' reads are accepted at once, only one runs the action. An action that throws makes
   * that read throw.
   *
   * @param when whether a read is the one
   * @param action what to run in that read
   */
  public void onNextRead(BooleanSupplier when, Runnable action) {
    Objects.requireNonNull(when, "when");
    Objects.requireNonNull(action, "action");
    AtomicBoolean done = new AtomicBoolean();
    Runnable[] self = new Runnable[1];
    self[0] = () -> {
      if (!done.get() && when.getAsBoolean() && done.compareAndSet(false, true)) {
        readHooks.remove(self[0]);
        action.run();
      }
    };
    readHooks.add(self[0]);
  }

  /**
   * The first {@link #nanoTime()} call for which {@code when} holds throws {@code error}.
   *
   * @param when whether a read is the one
   * @param error what that read throws
   */
  public void failNextRead(BooleanSupplier when, Error error) {
    Objects.requireNonNull(error, "error");
    onNextRead(when, () -> {
      throw error;
    });
  }

  /**
   * The first {@link #nanoTime()} call for which {@code when} holds throws {@code error}.
   *
   * @param when whether a read is the one
   * @param error what that read throws
   */
  public void failNextRead(BooleanSupplier when, RuntimeException error) {
    Objects.requireNonNull(error, "error");
    onNextRead(when, () -> {
      throw error;
    });
  }

  /**
   * Holds {@code thread} inside its next {@link #nanoTime()} call until the returned stall is
   * released. Arm it before the thread reads the clock (for instance before starting it).
   *
   * @param thread the thread to hold
   * @return the stall, to await and release
   */
  public Stall stallNextReadBy(Thread thread) {
    Stall stall = new Stall(thread);
    readHooks.add(stall.hook);
    return stall;
  }

  @Override
  public String toString() {
    return (real ? "ManualTimeSource.realTime(" : "ManualTimeSource(") + now() + " ns)";
  }

  /** One thread held inside a clock read: see {@link #stallNextReadBy(Thread)}. */
  public final class Stall {
    private final Thread thread;
    private final CountDownLatch stalled = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);
    private final Runnable hook = this::holdOnce;

    private Stall(Thread thread) {
      this.thread = thread;
    }

    /** The read hook: holds the armed thread in its first read, then removes itself. */
    private void holdOnce() {
      if (Thread.currentThread() != thread || !readHooks.remove(hook)) {
        return;
      }
      stalled.countDown();
      try {
        released.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    /**
     * Waits until the thread is held in its read.
     *
     * @throws AssertionError if it does not get there within 30 s
     * @throws InterruptedException if the waiting thread is interrupted
     */
    public void awaitStalled() throws InterruptedException {
      if (!stalled.await(30, TimeUnit.SECONDS)) {
        throw new AssertionError(thread.getName() + " did not read the clock within 30 s");
      }
    }

    /** Lets the thread finish its read. */
    public void release() {
      released.countDown();
    }
  }
}
