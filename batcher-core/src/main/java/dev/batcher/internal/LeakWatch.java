package dev.batcher.internal;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * Notices a batcher that its owner never closed, and says so once in the log:
 *
 * <ul>
 *   <li>garbage-collected without {@code close()} (seen by a {@link Cleaner}): with items pending,
 *       a WARN naming the batcher and how many; either way the batcher is closed then, so that
 *       its pending items are still written and its threads end, since no one can close it any
 *       more;
 *   <li>still open at JVM exit (seen by one shutdown hook shared by every batcher): with items
 *       pending, a WARN naming the batcher and how many, since its daemon threads are about to
 *       die with them. A batcher whose close has started is left to its closer.
 * </ul>
 *
 * <p>What the watch holds must never lead back to the batcher facade, or the facade could never
 * be collected: its worker threads are GC roots, so the facade is collectable only if nothing they
 * reach references it, and neither may the watch (which the Cleaner and the shared set of open
 * batchers hold until the batcher is closed or cleaned). So the watch holds the batcher's name,
 * how to count its pending items and how to start closing it, all built from the parts, never
 * from the facade. The set holds the watches strongly: a watch leaves it when its batcher is
 * closed or cleaned, and holds nothing the batcher's threads do not hold anyway.
 *
 * <p>Thread-safety: any thread.
 *
 * <p>Internal: not API, may change in any release.
 */
final class LeakWatch implements Runnable {
  /** Watches of batchers neither closed nor cleaned, for the exit hook. */
  private static final Set<LeakWatch> OPEN = ConcurrentHashMap.newKeySet();

  private final String name;
  /** Accepted, unfinished items (a coalesced group counts once). */
  private final LongSupplier pending;
  /** Whether the batcher's close has started (by its owner, or by this watch). */
  private final BooleanSupplier closing;
  /** Starts closing the batcher without waiting for it. */
  private final Runnable startClose;
  private final Cleaner.Cleanable cleanable;

  private LeakWatch(Object batcher, String name, LongSupplier pending, BooleanSupplier closing,
      Runnable startClose) {
    this.name = name;
    this.pending = pending;
    this.closing = closing;
    this.startClose = startClose;
    this.cleanable = Shared.CLEANER.register(batcher, this);
  }

  /**
   * Starts watching {@code batcher}. None of the other arguments may reference it.
   *
   * @param pending how many items the batcher has accepted and not finished
   * @param closing whether the batcher's close has started
   * @param startClose starts closing the batcher without waiting for it
   */
  static LeakWatch watch(Object batcher, String name, LongSupplier pending,
      BooleanSupplier closing, Runnable startClose) {
    LeakWatch w = new LeakWatch(batcher, name, pending, closing, startClose);
    OPEN.add(w);
    ExitHook.install();
    Reference.reachabilityFence(batcher); // the Cleaner must find the watch open
    return w;
  }

  /** The owner closes the batcher: stop watching it. Idempotent. */
  void closed() {
    OPEN.remove(this);
    cleanable.clean(); // runs run() at most once, which finds the watch gone and does nothing
  }

  /** The batcher became unreachable without close(): reports it and starts closing it. */
  @Override
  public void run() {
    if (!OPEN.remove(this)) {
      return; // closed by its owner
    }
    try {
      long n = pending.getAsLong();
      if (n > 0) {
        Events.LOG.warn("batcher '{}' was garbage-collected without close() with {} item(s) "
            + "pending; closing it now, so that they are still written", name, n);
      }
      startClose.run();
    } catch (Throwable t) {
      Events.LOG.warn("batcher '{}' was garbage-collected without close(), and closing it failed",
          name, t);
    }
  }

  /**
   * Runs {@code action} once {@code watched} has become unreachable, on the shared cleaner
   * thread. The action must not reference {@code watched}.
   */
  static void whenUnreachable(Object watched, Runnable action) {
    Shared.CLEANER.register(watched, action);
  }

  /**
   * At JVM exit: reports every batcher still open, not closing, with items pending, and the
   * refusals that closed batchers held back since their last line ({@link
   * LossLog#reportTailsAtExit()}).
   */
  static void atExit() {
    try {
      LossLog.reportTailsAtExit();
    } catch (Throwable t) {
      // The logging system is shutting down too: go on with the open batchers.
    }
    for (LeakWatch w : OPEN) {
      try {
        if (w.closing.getAsBoolean()) {
          continue;
        }
        long n = w.pending.getAsLong();
        if (n > 0) {
          Events.LOG.warn("batcher '{}' was still open at JVM exit with {} item(s) pending; they "
              + "are lost unless it is closed before the JVM exits", w.name, n);
        }
      } catch (Throwable t) {
        // One batcher's failure must not keep the others from being reported: say so, go on.
        try {
          Events.LOG.warn("batcher '{}': checking it for pending items at JVM exit failed",
              w.name, t);
        } catch (Throwable logFailed) {
          // The logging system is shutting down too: nothing is left to tell.
        }
      }
    }
  }

  /**
   * The one Cleaner of every batcher, and its daemon thread, created with the first batcher. The
   * thread lives in the root thread group, as the JDK's own cleaner does, not in the group of
   * whichever thread built the first batcher: a container that stops its application's threads
   * by group (Maven's {@code exec:java}, some application servers) would otherwise wait on a
   * thread that, like every Cleaner thread, does not stop when interrupted.
   */
  private static final class Shared {
    static final Cleaner CLEANER = Cleaner.create( // Cleaner makes it a daemon
        r -> new Thread(rootGroup(), r, "batcher-cleaner"));

    private static ThreadGroup rootGroup() {
      ThreadGroup g = Thread.currentThread().getThreadGroup();
      while (g.getParent() != null) {
        g = g.getParent();
      }
      return g;
    }
  }

  /** The one shutdown hook of every batcher, installed with the first batcher. */
  private static final class ExitHook {
    static {
      try {
        Runtime.getRuntime().addShutdownHook(new Thread(LeakWatch::atExit, "batcher-exit-check"));
      } catch (IllegalStateException | SecurityException e) {
        // The JVM is already shutting down (or forbids hooks): nothing to watch for.
      }
    }

    /** Initializes the class, which installs the hook, once. */
    static void install() {}
  }
}
