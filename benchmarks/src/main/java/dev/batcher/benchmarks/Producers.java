package dev.batcher.benchmarks;

import dev.batcher.benchmarks.contenders.Contender;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A fixed number of producers, on platform or virtual threads, each keeping a window of
 * outstanding items: before submitting an item it waits for the one submitted {@code window} items
 * earlier. So every library sees the same continuous stream with the same bound on what is
 * outstanding, and an item counts as delivered only once its completion has been observed.
 *
 * <p>Work is handed out in rounds: {@link #round} has every producer submit its share and returns
 * when all have submitted (not when all completed: windows carry over from round to round, so there
 * is no tail to wait for at a round's end).
 */
@SuppressWarnings("try") // close() may be interrupted while it joins the producers: declared
final class Producers implements AutoCloseable {

  /** Producer threads: {@code platform} (a fixed pool) or {@code virtual} (JDK 21+). */
  static final String PLATFORM = "platform";
  static final String VIRTUAL = "virtual";

  private static final Long ITEM = 4_242L; // one boxed item for everybody: no boxing in the loop

  private final Contender contender;
  private final ExecutorService executor;
  private final Window[] windows;
  private final List<Future<?>> pending = new ArrayList<>();

  Producers(Contender contender, String threads, int count, int window) {
    this.contender = contender;
    this.executor = executor(threads, count);
    this.windows = new Window[count];
    for (int i = 0; i < count; i++) {
      windows[i] = new Window(window);
    }
  }

  /** Whether this JVM has virtual threads (JDK 21+). */
  static boolean virtualThreadsAvailable() {
    return Runtime.version().feature() >= 21;
  }

  private static ExecutorService executor(String threads, int count) {
    if (VIRTUAL.equals(threads)) {
      if (!virtualThreadsAvailable()) {
        throw new UnsupportedOperationException("producerThreads=virtual needs JDK 21 or later;"
            + " this is " + Runtime.version() + ". Run the jar with a newer java, or leave out"
            + " -p producerThreads=virtual.");
      }
      try {
        // Compiled for release 17: reach Executors.newVirtualThreadPerTaskExecutor() reflectively.
        Method m = Executors.class.getMethod("newVirtualThreadPerTaskExecutor");
        return (ExecutorService) m.invoke(null);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("cannot create virtual threads", e);
      }
    }
    if (!PLATFORM.equals(threads)) {
      throw new IllegalArgumentException("producerThreads must be platform or virtual: " + threads);
    }
    int[] seq = {0};
    return Executors.newFixedThreadPool(count, r -> {
      Thread t = new Thread(r, "producer-" + (++seq[0]));
      t.setDaemon(true);
      return t;
    });
  }

  /** Has every producer submit {@code itemsEach} items; adds their outcomes to {@code counts}. */
  void round(int itemsEach, Counts counts) throws InterruptedException {
    pending.clear();
    for (Window w : windows) {
      pending.add(executor.submit(() -> w.produce(contender, itemsEach)));
    }
    for (Future<?> f : pending) {
      try {
        f.get();
      } catch (ExecutionException e) {
        throw new IllegalStateException("a producer failed", e.getCause());
      }
    }
    // Future.get() orders the producers' counter writes before these reads.
    for (Window w : windows) {
      w.drainCountsInto(counts);
    }
  }

  /** Waits for every outstanding item. */
  void drain(Counts counts) {
    for (Window w : windows) {
      w.awaitAll(contender);
      w.drainCountsInto(counts);
    }
  }

  @Override
  public void close() throws InterruptedException {
    executor.shutdownNow();
    executor.awaitTermination(10, TimeUnit.SECONDS);
  }

  /** Outcome counters; a plain holder the suites map onto their JMH counters. */
  static final class Counts {
    long delivered;
    long refused;
    long failed;
    long lost;

    void add(int outcome) {
      switch (outcome) {
        case Contender.DELIVERED:
          delivered++;
          break;
        case Contender.REFUSED:
          refused++;
          break;
        case Contender.FAILED:
          failed++;
          break;
        default:
          lost++;
      }
    }
  }

  /** One producer's ring of outstanding handles. Used by one thread at a time. */
  private static final class Window {
    private final Object[] ring;
    private final int mask;
    private int next;
    private final Counts counts = new Counts();

    Window(int size) {
      int pow2 = Integer.highestOneBit(Math.max(1, size - 1)) << 1;
      this.ring = new Object[pow2];
      this.mask = pow2 - 1;
    }

    void produce(Contender c, int items) {
      Object[] r = ring;
      int i = next;
      for (int k = 0; k < items; k++) {
        Object oldest = r[i];
        if (oldest != null) {
          counts.add(c.await(oldest)); // the window is full: wait for the oldest item
        }
        r[i] = c.submit(ITEM);
        i = (i + 1) & mask;
      }
      next = i;
    }

    void awaitAll(Contender c) {
      for (int k = 0; k < ring.length; k++) {
        int i = (next + k) & mask;
        if (ring[i] != null) {
          counts.add(c.await(ring[i]));
          ring[i] = null;
        }
      }
    }

    void drainCountsInto(Counts into) {
      into.delivered += counts.delivered;
      into.refused += counts.refused;
      into.failed += counts.failed;
      into.lost += counts.lost;
      counts.delivered = 0;
      counts.refused = 0;
      counts.failed = 0;
      counts.lost = 0;
    }
  }
}
