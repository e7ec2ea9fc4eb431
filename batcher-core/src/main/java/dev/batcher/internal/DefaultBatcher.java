package dev.batcher.internal;

import static java.util.Objects.requireNonNull;

import dev.batcher.Batcher;
import dev.batcher.BatcherMetrics;
import dev.batcher.DropReason;
import dev.batcher.OverflowPolicy;
import java.lang.ref.Reference;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The {@link Batcher} implementation: the API methods, the lifecycle (flush, close, abort) and
 * the wiring of the parts. See {@code docs/design.md} for the threading model. One item's walk:
 *
 * <ol>
 *   <li>{@link Admission} claims a numbered slot in the {@link Intake} (one compare-and-set that
 *       is at once the capacity reservation and the queue position), publishes the item's {@link
 *       Entry} (which is also its future) and wakes the former through the {@link FormerSignal}
 *       only when it is parked and the entry makes a difference;
 *   <li>a worker of {@link SinkWorkers} asks the {@link BatchFormer} for a batch, which takes it
 *       out of the {@link WaitingRoom} (and due retries out of the {@link RetryQueue}) under the
 *       consumer lock;
 *   <li>the worker calls the sink on its own thread and hands the result to {@link Outcomes},
 *       which ends items in a {@link Settlement} or plans retries ({@link RetryPlan});
 *   <li>the {@link Settlement} counts ({@link Counters}), gives capacity back, completes the
 *       futures, advances flushes ({@link FlushTracker}) and detects termination ({@link
 *       Lifecycle});
 *   <li>meanwhile the {@link DeliveryMonitor} drops what passes its delivery timeout and abandons
 *       sink calls that hang.
 * </ol>
 *
 * <p>Internal: not API, may change in any release.
 */
public final class DefaultBatcher<T> implements Batcher<T> {
  private final BatcherConfig<T> config;
  private final String name;
  private final Counters counters = new Counters();
  private final FlushTracker flushes = new FlushTracker();
  private final Intake<T> intake;
  private final WaitingRoom<T> waiting;
  private final Lifecycle lifecycle;
  private final Settler<T> settler;
  private final BatchFormer<T> former;
  private final SinkWorkers<T> workers;
  private final DeliveryMonitor<T> monitor;
  private final Admission<T> admission;
  /**
   * How long a close that gave up waits, at most, for the drops it caused to be counted (see
   * {@link #abort}); normally a few microseconds.
   */
  private static final long SETTLE_NANOS = TimeUnit.SECONDS.toNanos(10);

  /** Reports the batcher if it is garbage-collected, or left open at exit, without close(). */
  private final LeakWatch leaks;

  /**
   * Starts a batcher with validated settings; use {@link dev.batcher.BatcherBuilder}.
   *
   * <p>The parts are wired from local variables, and no part, callback or thread may reference
   * this facade: the worker threads are GC roots, and a batcher dropped without close() must be
   * collectable for its {@link LeakWatch} to notice it.
   */
  public DefaultBatcher(BatcherConfig<T> config) {
    this.config = requireNonNull(config, "config");
    this.name = config.name();
    RoomSignal room = new RoomSignal();
    // Only DROP_OLDEST takes entries out from producer threads; the rest can use the lock-free
    // single-consumer ring. Room the intake gives back by itself (a cancelled claim taken out)
    // may let a blocked producer in, or end a closing batcher: see RoomReleased.
    RoomReleased released = new RoomReleased(room);
    Intake<T> intake = config.overflow() == OverflowPolicy.DROP_OLDEST
        ? Intake.locked(flushes, config.queueCapacity(), released)
        : Intake.ring(flushes, config.queueCapacity(), released);
    Lifecycle lifecycle = new Lifecycle(intake, room);
    released.lifecycle = lifecycle;
    boolean weighs = config.weigher() != null;
    AtomicLong acceptedWeight = weighs ? new AtomicLong() : null;
    ConcurrentHashMap<Object, Entry<T>> coalescing =
        config.coalesceKey() == null ? null : new ConcurrentHashMap<>();
    WaitingRoom<T> waiting = new WaitingRoom<>(intake, weighs, coalescing);
    FormerSignal signal = new FormerSignal();
    Events<T> events = new Events<>(config, counters);
    Settler<T> settler = new Settler<>(config, counters, intake, room, flushes, lifecycle, events,
        signal, acceptedWeight);
    RetryQueue<T> retries = new RetryQueue<>();
    BatchFormer<T> former = new BatchFormer<>(config, waiting, retries, signal, flushes,
        lifecycle, settler);
    Outcomes<T> outcomes =
        new Outcomes<>(config, retries, signal, lifecycle, counters, events, settler);
    DeliveryMonitor.Alarm alarm = new DeliveryMonitor.Alarm();
    SinkWorkers<T> workers = new SinkWorkers<>(config, former, outcomes, settler, counters,
        lifecycle, events, alarm);
    DeliveryMonitor<T> monitor = new DeliveryMonitor<>(config, alarm, intake, former, workers,
        settler, flushes, lifecycle);
    this.admission = new Admission<>(config, waiting, signal, room, lifecycle, counters, events,
        settler, flushes, acceptedWeight, coalescing);
    lifecycle.onTerminated(() -> {
      signal.wakeAny();
      monitor.wake();
      workers.unparkAll();
      events.losses.reportUnreported(); // the tail of a burst that no later loss reported
      events.warnings.reportHeldBack("batcher '" + config.name() + "'"); // failures' tail too
    });
    this.intake = intake;
    this.waiting = waiting;
    this.lifecycle = lifecycle;
    this.settler = settler;
    this.former = former;
    this.workers = workers;
    this.monitor = monitor;
    workers.start(SinkWorkers.workerCount(config));
    monitor.start();
    // Watched once started. Built from the parts, never from this: see LeakWatch.
    this.leaks = LeakWatch.watch(this, name, intake::accepted, lifecycle::isClosing,
        () -> startClosing(intake, lifecycle, settler));
  }

  /**
   * Told when the intake gives room back by itself (a cancelled claim taken out): the room may
   * let a blocked producer in, or end a closing batcher. A class of its own, not a method
   * reference, so that the intake does not reference the facade.
   */
  private static final class RoomReleased implements Intake.RoomListener {
    private final RoomSignal room;
    /** Set once while the batcher is wired, before its threads start and the facade is built. */
    private @Nullable Lifecycle lifecycle;

    RoomReleased(RoomSignal room) {
      this.room = room;
    }

    @Override
    public void released(int n) {
      room.signal(n);
      requireNonNull(lifecycle).afterRelease();
    }
  }

  /** The settings this batcher was built with. */
  public BatcherConfig<T> config() {
    return config;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String toString() {
    return "Batcher{" + name + "}";
  }

  @Override
  public CompletableFuture<Void> submit(T item) {
    return admission.accept(item, true);
  }

  @Override
  public boolean offer(T item) {
    return !Admission.isRefusal(admission.accept(item, false));
  }

  @Override
  public CompletableFuture<Void> flush() {
    CompletableFuture<Void> done = flushes.flush(intake::nextSequence);
    // The epoch closes once the consumer has taken out everything below its end: a parked
    // former is woken for it; with no former on the lock (workers in the sink, or terminated),
    // what is already taken out is closed here.
    settler.former.wakeAny();
    former.closeEpochsNow();
    return done;
  }

  @Override
  public void close() {
    close(Duration.ofNanos(Long.MAX_VALUE));
  }

  /**
   * Closing sets the closed bit in the intake's claim counter (an atomic operation on the word
   * every claim compare-and-sets) and then reads the accepted count: a claim either came first,
   * and close waits for its entry, or fails and the item is refused. Nothing accepted is
   * stranded.
   */
  @Override
  public boolean close(Duration timeout) {
    requireNonNull(timeout, "timeout");
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("timeout must not be negative: " + timeout);
    }
    leaks.closed();
    // The owner is closing it: the Cleaner must not find it unreachable before the line above.
    Reference.reachabilityFence(this);
    startClosing(intake, lifecycle, settler);
    if (isBatcherThread()) {
      // Called from a callback on one of our own threads: waiting would wait for ourselves. This
      // close drops nothing; items merely still pending are not dropped.
      return !closeDropped();
    }
    long wait = Math.min(timeout.toNanos(), Long.MAX_VALUE / 4);
    long deadline = System.nanoTime() + wait;
    try {
      lifecycle.terminated().get(wait, TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      return !abort("close timed out");
    } catch (InterruptedException e) {
      // Gives up as a timed-out close does (as ExecutorService.close() stops its tasks when
      // interrupted), so that the answer still means "nothing was dropped".
      Thread.currentThread().interrupt();
      return !abort("the thread closing it was interrupted");
    } catch (ExecutionException e) {
      throw new IllegalStateException("unreachable: termination never fails", e);
    }
    if (lifecycle.isAborted() && !lifecycle.awaitAbortSettled(System.nanoTime() + SETTLE_NANOS)) {
      return false; // another close gave up, and could not tell whether it dropped anything
    }
    workers.join(deadline);
    return !closeDropped();
  }

  /**
   * Whether a close dropped items: the CLOSE_TIMEOUT drops, counted before their capacity is
   * released (so a thread that saw the termination sees those that let it terminate), or an
   * abort that could not wait for its drops to be counted ({@link #abort}).
   */
  private boolean closeDropped() {
    return lifecycle.abortDropped() || counters.droppedSoFar(DropReason.CLOSE_TIMEOUT) > 0;
  }

  /**
   * Starts closing, once: later calls do nothing. Static, so that the {@link LeakWatch} can close
   * a collected batcher without referencing it.
   */
  private static <T> void startClosing(Intake<T> intake, Lifecycle lifecycle, Settler<T> settler) {
    if (lifecycle.startClosing()) {
      // The intake first: from here on no claim succeeds, so a worker that sees closed and
      // nothing accepted may leave, and the accepted count read below is final but for claims
      // made before this line.
      intake.close();
      lifecycle.markClosed();
      settler.former.wakeAny();
      settler.room.signal(Integer.MAX_VALUE);
      if (intake.accepted() == 0) {
        lifecycle.terminate();
      }
    }
  }

  /**
   * Our worker and monitor threads, and any thread while it settles one of our sink calls (an
   * async sink's completion thread, see {@link Lifecycle#markSettlingThread()}): a close called
   * there, from a callback, would wait for the very step its thread is in.
   */
  private boolean isBatcherThread() {
    Thread me = Thread.currentThread();
    return me == monitor.thread() || workers.isWorkerThread(me) || lifecycle.isSettlingThread();
  }

  /**
   * close(Duration) ran out of time or was interrupted: drop everything left and stop.
   *
   * <p>What the abort drops itself is counted before it returns; what it cannot see is dropped by
   * the thread that holds it, as it notices the abort: a batch a worker has taken out and not yet
   * put in the flight table, a sink call that returned and is being settled (its retries), an
   * entry a producer claimed before close and publishes late (the monitor drops it). Those steps
   * are short, so the abort waits for their drops to be counted ({@link
   * Lifecycle#awaitAbortSettled}), at most {@link #SETTLE_NANOS}: the answer is then exact. Only
   * user code that blocks a batcher thread for longer (a callback of a future, a listener) leaves
   * it unable to tell, and then it answers that items were dropped.
   *
   * @return true if any item was dropped by a close that gave up (or may have been)
   */
  private boolean abort(String why) {
    lifecycle.markAborted();
    settler.former.wakeAny();
    Settlement<T> s = settler.settlement();
    former.dropAll(s); // takes the consumer lock: every batch formed before is now accounted
    s.commit();
    flushes.poll();
    workers.abandonAll(DropReason.CLOSE_TIMEOUT);
    // Everything visible is dropped; finish even if a producer that passed the closed check
    // before close() has claimed a slot and not yet published its entry. The monitor keeps
    // running until it has dropped such late entries too (see DeliveryMonitor).
    lifecycle.terminate(); // wakes the monitor too, for the late entries
    if (!lifecycle.awaitAbortSettled(System.nanoTime() + SETTLE_NANOS)) {
      lifecycle.markAbortDropped();
    }
    // The termination above reported the losses and warnings held back so far; the steps it
    // waited for may have added more since (a late drop, a listener that threw), which no later
    // line would report.
    settler.events.losses.reportUnreported();
    settler.events.warnings.reportHeldBack("batcher '" + name + "'");
    boolean dropped = closeDropped();
    if (dropped) {
      Events.LOG.warn("batcher '{}': {}; unfinished items were dropped", name, why);
    }
    return dropped;
  }

  // Package-private seams for the tests of the parts.

  Intake<T> intake() {
    return intake;
  }

  BatchFormer<T> former() {
    return former;
  }

  RoomSignal room() {
    return settler.room;
  }

  @Override
  public BatcherMetrics metrics() {
    return counters.snapshot(intake, waiting.aside(), workers.inFlightCount(),
        workers.abandonedRunning());
  }
}
