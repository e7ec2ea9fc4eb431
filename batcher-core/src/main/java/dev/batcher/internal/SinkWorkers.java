package dev.batcher.internal;

import static java.util.Objects.requireNonNull;

import dev.batcher.AsyncBatchSink;
import dev.batcher.BatchResult;
import dev.batcher.BatchSink;
import dev.batcher.DropReason;
import dev.batcher.TimeSource;
import java.time.Duration;
import java.util.AbstractList;
import java.util.List;
import java.util.RandomAccess;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * The worker threads and the sink calls in flight. A blocking sink gets one worker per allowed
 * in-flight batch, each forming a batch ({@link BatchFormer#takeBatch()}) and calling the sink on
 * its own thread, with no hand-off; an async sink gets one worker that holds one of {@code
 * maxInFlightBatches} permits per outstanding stage. A finished call is settled and handed to
 * {@link Outcomes}; a call the monitor abandons is settled here, its items dropped, and a worker
 * stuck in it replaced.
 *
 * <p>Thread-safety: all methods from any thread.
 *
 * <p>Internal: not API, may change in any release.
 */
final class SinkWorkers<T> {
  /** How long close() waits for the worker threads to leave once every item has ended. */
  private static final long WORKER_EXIT_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final String name;
  private final ThreadFactory threadFactory;
  private final TimeSource time;
  private final @Nullable BatchSink<T> sink;
  private final @Nullable AsyncBatchSink<T> asyncSink;
  private final @Nullable Semaphore asyncSlots;
  private final long deliveryTimeoutNanos;
  private final BatchFormer<T> former;
  private final Outcomes<T> outcomes;
  private final Settler<T> settler;
  private final Counters counters;
  private final Lifecycle lifecycle;
  private final Events<T> events;
  private final DeliveryMonitor.Alarm alarm;
  private final FlightTable<InFlight<T>> flights;
  private final List<Worker> workers = new CopyOnWriteArrayList<>();
  /**
   * Numbers worker threads ({@code -flush-1}, {@code -flush-2}, ...) as they are made, including
   * replacements of abandoned workers. Only the atomic increment's uniqueness is relied on.
   */
  private final AtomicInteger workerSeq = new AtomicInteger();
  /**
   * Abandoned sink calls that have not returned yet; see {@link #abandonedRunning()}. Raised by
   * the abandoning thread after it won the flight's settle, lowered by the call's own completion
   * after it lost it. Atomic adds; if the call returns between its abandonment and the raise, the
   * count dips below zero for that moment, so readers clamp it at zero.
   */
  private final AtomicInteger abandonedRunning = new AtomicInteger();

  SinkWorkers(BatcherConfig<T> config, BatchFormer<T> former, Outcomes<T> outcomes,
      Settler<T> settler, Counters counters, Lifecycle lifecycle, Events<T> events,
      DeliveryMonitor.Alarm alarm) {
    this.name = config.name();
    this.threadFactory = config.threadFactory();
    this.time = config.timeSource();
    this.sink = config.sink();
    this.asyncSink = config.asyncSink();
    this.asyncSlots = asyncSink == null ? null : new Semaphore(config.maxInFlightBatches());
    this.deliveryTimeoutNanos = config.deliveryTimeoutNanos();
    this.former = former;
    this.outcomes = outcomes;
    this.settler = settler;
    this.counters = counters;
    this.lifecycle = lifecycle;
    this.events = events;
    this.alarm = alarm;
    this.flights = new FlightTable<>(config.maxInFlightBatches());
  }

  /** How many workers a batcher with this config runs. */
  static int workerCount(BatcherConfig<?> config) {
    return config.asyncSink() == null ? config.maxInFlightBatches() : 1;
  }

  /** Starts the workers. */
  void start(int count) {
    for (int i = 0; i < count; i++) {
      startWorker();
    }
  }

  private void startWorker() {
    int index = workerSeq.incrementAndGet();
    Worker[] self = new Worker[1];
    Thread t = newThread(threadFactory, () -> run(requireNonNull(self[0])),
        "batcher-" + name + "-flush-" + index);
    Worker w = new Worker(t, index);
    self[0] = w;
    workers.add(w);
    t.start();
  }

  /** A thread from the user's factory, named; a factory that returns null is a clear error. */
  static Thread newThread(ThreadFactory factory, Runnable runnable, String threadName) {
    Thread t = factory.newThread(runnable);
    if (t == null) {
      throw new IllegalStateException("threadFactory returned null for " + threadName);
    }
    t.setName(threadName);
    return t;
  }

  private void run(Worker w) {
    try {
      if (asyncSink == null) {
        runBlockingSink(w);
      } else {
        runAsyncSink(w);
      }
    } catch (Throwable t) {
      // Nothing in the loop should throw; if it does, log it and keep the batcher alive.
      SafeLog.error(Events.LOG, "batcher '{}': worker {} failed; starting a replacement", name,
          Thread.currentThread().getName(), t);
      if (!w.abandoned && !lifecycle.isTerminated()) {
        workers.remove(w);
        startWorker();
      }
    }
  }

  private void runBlockingSink(Worker w) {
    BatchSink<T> s = requireNonNull(sink);
    while (!w.abandoned) {
      FormedBatch<T> batch = former.takeBatch();
      if (batch == null) {
        return;
      }
      InFlight<T> flight = dispatch(batch, w);
      if (flight == null) {
        continue;
      }
      BatchResult result = null;
      Throwable failure = null;
      try {
        result = s.write(new Items<>(batch.entries));
      } catch (Throwable t) {
        failure = t;
      }
      if (!complete(flight, result, failure)) {
        // The monitor abandoned this call and starts (or started) a replacement worker: leave,
        // even if it has not yet marked us, and clear its interrupt on the way out.
        Thread.interrupted();
        return;
      }
    }
  }

  private void runAsyncSink(Worker w) {
    AsyncBatchSink<T> s = requireNonNull(asyncSink);
    Semaphore slots = requireNonNull(asyncSlots);
    while (!w.abandoned) {
      try {
        slots.acquire();
      } catch (InterruptedException e) {
        if (lifecycle.isAborted() || lifecycle.isTerminated()) {
          return;
        }
        continue;
      }
      FormedBatch<T> batch = former.takeBatch();
      if (batch == null) {
        slots.release();
        return;
      }
      InFlight<T> flight = dispatch(batch, w);
      if (flight == null) {
        continue; // its slot was released when it was abandoned
      }
      CompletionStage<BatchResult> stage;
      try {
        stage = requireNonNull(s.write(new Items<>(batch.entries)),
            "AsyncBatchSink.write returned null instead of a stage");
      } catch (Throwable t) {
        complete(flight, null, t);
        continue;
      }
      stage.whenComplete((result, failure) -> complete(flight, result, unwrap(failure)));
    }
  }

  private static @Nullable Throwable unwrap(@Nullable Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /**
   * The sink's view of a batch: the items, read-only, without copying them. Valid while the call
   * runs: an entry forgets its item once it has ended, and an entry the monitor ends during the
   * call keeps its item until the call returns (see {@link #forgetEndedItems}).
   */
  private static final class Items<T> extends AbstractList<T> implements RandomAccess {
    private final List<Entry<T>> entries;

    Items(List<Entry<T>> entries) {
      this.entries = entries;
    }

    @Override
    public T get(int index) {
      return entries.get(index).item;
    }

    @Override
    public int size() {
      return entries.size();
    }
  }

  /**
   * Registers a batch as in flight, counting the attempts of retried entries.
   *
   * @return the flight, or null if close(Duration) gave up meanwhile (its items are dropped)
   */
  private @Nullable InFlight<T> dispatch(FormedBatch<T> batch, Worker w) {
    try {
      return register(batch, w);
    } finally {
      lifecycle.endUnsettled(); // raised by takeBatch(): the batch is in the table, or dropped
    }
  }

  private @Nullable InFlight<T> register(FormedBatch<T> batch, Worker w) {
    long now = time.nanoTime();
    InFlight<T> flight = new InFlight<>(batch, now, w);
    long oldestRetried = Long.MAX_VALUE;
    if (batch.retried) {
      // Only entries attempted before carry attempt bookkeeping; a first attempt costs nothing
      // here, and its time is the flight's dispatch time should it fail.
      for (Entry<T> e : batch.entries) {
        Entry.Attempts a = e.attempts;
        if (a != null) {
          if (!batch.isolating) {
            a.count++;
          }
          a.last = now;
          if (e.acceptedAt < oldestRetried) {
            oldestRetried = e.acceptedAt;
          }
        }
      }
    }
    flights.add(flight, w.index);
    if (lifecycle.isAborted()) {
      // close(Duration) gave up between takeBatch() and here and may not have seen this batch.
      // A blocking worker gives up its place here, so it is no longer known as ours: marked, so
      // that a callback of the drops calling close does not wait for this very step.
      boolean marked = lifecycle.markSettlingThread();
      try {
        abandon(flight, DropReason.CLOSE_TIMEOUT, false);
      } finally {
        lifecycle.unmarkSettlingThread(marked);
      }
      return null;
    }
    // The monitor plans for the oldest item it saw waiting; a retried item can be older than
    // that. Fresh items never are, so ordinary batches never wake it.
    if (oldestRetried != Long.MAX_VALUE) {
      alarm.wakeIfBefore(oldestRetried + deliveryTimeoutNanos);
    }
    return flight;
  }

  /** Frees the slot of a batch: its completion or its abandonment, whichever comes first. */
  private boolean settle(InFlight<T> flight) {
    if (!flight.settle()) {
      return false;
    }
    flights.remove(flight);
    if (asyncSlots != null) {
      asyncSlots.release();
    }
    return true;
  }

  /**
   * A sink call returned (or its stage completed).
   *
   * @return false if the call had been abandoned (its items were dropped then)
   */
  private boolean complete(
      InFlight<T> flight, @Nullable BatchResult result, @Nullable Throwable failure) {
    // Raised before the settle: if close(Duration) gives up meanwhile, it cannot see this call
    // any more once it is settled here, and waits for the drops of its retries to be counted.
    lifecycle.beginUnsettled();
    // An async sink's stage may complete on a thread of the sink's: the callbacks of the futures
    // settled here run on it, and a close they call must not wait for this settle (see
    // Lifecycle.settlingHere). A thread-local set and remove per async call; none for a blocking
    // sink, whose calls complete on our workers.
    boolean marked = asyncSink != null && lifecycle.markSettlingThread();
    try {
      long now = time.nanoTime();
      if (!settle(flight)) {
        abandonedRunning.decrementAndGet(); // an abandoned call has returned at last
        forgetEndedItems(flight);
        return false;
      }
      try {
        outcomes.complete(flight, result, failure, now);
      } catch (Throwable bug) {
        failBack(flight, bug);
        if (bug instanceof VirtualMachineError) {
          throw bug;
        }
      }
      if (flight.droppedDuringCall()) {
        forgetEndedItems(flight);
      }
      return true;
    } finally {
      lifecycle.unmarkSettlingThread(marked);
      lifecycle.endUnsettled();
    }
  }

  /**
   * Settling a returned call threw (a bug: user code on that path is guarded). The call is out of
   * the flight table, so nothing else would end its items: gives up those not ended yet (an
   * entry ends once, so those already ended, or ending elsewhere, are left alone). Entries it
   * may have handed to the retry queue are skipped there once ended.
   */
  private void failBack(InFlight<T> flight, Throwable bug) {
    try {
      SafeLog.error(Events.LOG, "batcher '{}': failed while settling a batch of {} items; "
          + "giving up those not ended yet", name, flight.entries.size(), bug);
      Settlement<T> s = settler.settlement(flight.entries.size());
      for (Entry<T> e : flight.entries) {
        s.giveUp(e, bug);
      }
      s.commit();
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable again) {
      SafeLog.error(Events.LOG, "batcher '{}': failing back a batch failed too", name, again);
    }
  }

  /**
   * The call has returned: the items of entries that others ended while it ran (the monitor's
   * drops, an abandonment) are read by no one any more. Entries awaiting a retry keep theirs.
   */
  private static <T> void forgetEndedItems(InFlight<T> flight) {
    for (Entry<T> e : flight.entries) {
      if (e.isFinished()) {
        e.forgetItem();
      }
    }
  }

  /** Gives up on a sink call: drops its items and frees its slot, replacing a stuck worker. */
  void abandon(InFlight<T> flight, DropReason reason) {
    abandon(flight, reason, true);
  }

  /** @param called whether the sink was called: only then will the call return some day */
  private void abandon(InFlight<T> flight, DropReason reason, boolean called) {
    if (!settle(flight)) {
      return;
    }
    if (called) {
      abandonedRunning.incrementAndGet();
    }
    // A call still running reads its entries' items: they are forgotten when it returns.
    Settlement<T> s = called ? settler.settlementKeepingItems(flight.entries.size())
        : settler.settlement(flight.entries.size());
    flight.markDroppedDuringCall();
    for (Entry<T> e : flight.entries) {
      s.drop(e, reason);
    }
    counters.batch(flight.cause, flight.entries.size());
    Worker w = flight.worker;
    boolean replace = false;
    if (asyncSink == null && !w.abandoned) {
      w.abandoned = true;
      workers.remove(w);
      if (w.thread != Thread.currentThread()) {
        w.thread.interrupt();
      }
      replace = true;
    } else if (asyncSink != null) {
      events.warnings.warn("batcher '{}': an async sink call did not complete within {}; its {} "
          + "items were dropped", name, Duration.ofNanos(deliveryTimeoutNanos),
          flight.entries.size());
    }
    s.commit(); // first: it may be the ending that terminates the batcher
    if (replace && !lifecycle.isAborted() && !lifecycle.isTerminated()) {
      Events.LOG.warn("batcher '{}': a sink call on {} did not return within {}; its {} items "
          + "were dropped and a new worker takes over", name, w.thread.getName(),
          Duration.ofNanos(deliveryTimeoutNanos), flight.entries.size());
      startWorker();
    }
  }

  /**
   * Abandons every call in flight (close(Duration) gave up). Its drops are counted as they are
   * committed: the close reads the drop counter, not a tally of its own.
   */
  void abandonAll(DropReason reason) {
    for (int i = 0; i < flights.size(); i++) {
      InFlight<T> flight = flights.get(i);
      if (flight != null) {
        abandon(flight, reason);
      }
    }
  }

  /** The in-flight table, for the monitor's scan. */
  FlightTable<InFlight<T>> flights() {
    return flights;
  }

  int inFlightCount() {
    return flights.count();
  }

  /** Abandoned sink calls still running: a hung call goes on beside its replacement's calls. */
  int abandonedRunning() {
    return Math.max(0, abandonedRunning.get());
  }

  boolean isWorkerThread(Thread t) {
    for (Worker w : workers) {
      if (w.thread == t) {
        return true;
      }
    }
    return false;
  }

  void unparkAll() {
    for (Worker w : workers) {
      LockSupport.unpark(w.thread);
    }
  }

  /**
   * Waits for the worker threads to leave, but not forever: every item has ended by now, so a
   * worker that does not leave within {@link #WORKER_EXIT_NANOS} is reported and left behind
   * (the default threads are daemons) rather than holding up the caller's shutdown.
   */
  void join(long deadline) {
    long limit = Math.min(deadline, System.nanoTime() + WORKER_EXIT_NANOS);
    for (Worker w : workers) {
      long left = limit - System.nanoTime();
      if (w.thread == Thread.currentThread()) {
        continue;
      }
      try {
        w.thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(Math.max(left, 0))));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      if (w.thread.isAlive() && left > 0) {
        Events.LOG.warn("batcher '{}': worker {} did not stop after close; leaving it", name,
            w.thread.getName());
      }
    }
  }
}
