package dev.batcher.internal;

import static java.util.Objects.requireNonNull;

import dev.batcher.AsyncBatchSink;
import dev.batcher.BatchEvent;
import dev.batcher.BatchResult;
import dev.batcher.BatchSink;
import dev.batcher.Batcher;
import dev.batcher.BatcherListener;
import dev.batcher.BatcherMetrics;
import dev.batcher.DeadLetter;
import dev.batcher.DeadLetterHandler;
import dev.batcher.DropReason;
import dev.batcher.DroppedItemException;
import dev.batcher.FlushCause;
import dev.batcher.ItemWriteException;
import dev.batcher.OverflowPolicy;
import dev.batcher.RefusalReason;
import dev.batcher.RejectedItemException;
import dev.batcher.RetryPolicy;
import dev.batcher.TimeSource;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BinaryOperator;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Batcher} implementation. See {@code docs/design.md} for the threading model; in
 * short:
 *
 * <ul>
 *   <li>Producers claim a numbered slot in the {@link Intake} (one compare-and-set that is at once
 *       the capacity reservation and the queue position), publish the entry into it, and wake the
 *       <em>former</em> (the worker forming the next batch) only when it is parked and the entry
 *       makes a difference: the first item into an idle batcher, or the item that fills a
 *       lingering batch. So a worker is woken once per batch, not per item.
 *   <li>Batches are formed under {@link #consumerLock} by one worker at a time; a blocking sink is
 *       called on that worker's own thread after the lock is released (no hand-off), with one
 *       worker thread per allowed in-flight batch. An async sink is called by a single worker that
 *       holds one of {@code maxInFlightBatches} permits per outstanding stage.
 *   <li>A monitor thread enforces the delivery timeout: it drops waiting entries that are too old,
 *       and abandons sink calls older than the timeout (interrupting and replacing a hung worker).
 *       It sleeps until the earliest deadline, so it wakes about once per timeout when idle.
 *   <li>Every ending of an entry goes through {@link Entry#tryFinish()} and then {@link
 *       Settlement#commit()}, which updates counters, releases capacity, completes futures,
 *       advances flushes and detects termination, in that order.
 * </ul>
 *
 * <p>Internal: not API, may change in any release.
 */
public final class DefaultBatcher<T> implements Batcher<T> {
  private static final Logger LOG = LoggerFactory.getLogger(DefaultBatcher.class);
  private static final VarHandle SETTLED;

  static {
    try {
      SETTLED = MethodHandles.lookup().findVarHandle(DefaultBatcher.InFlight.class, "settled",
          int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private static final int RUNNING = FormerSignal.RUNNING;
  private static final int IDLE = FormerSignal.IDLE;
  private static final int LINGER = FormerSignal.LINGER;
  private static final int FORMING = FormerSignal.FORMING;
  private static final int SATURATED = FormerSignal.SATURATED;
  private static final int SETTLING = FormerSignal.SETTLING;
  /** How many futures a settling sole worker completes between two readings of the clock. */
  private static final int SETTLING_CLOCK_STRIDE = 64;
  /** After this many futures with dependents, a settling worker stops sharing its clock. */
  private static final int SETTLING_MAX_CALLBACKS = 8;
  /** Busy-wait rounds for a claimed head slot to be published before parking briefly. */
  private static final int PUBLISH_SPINS = 64;
  /** A former that has not found the intake empty for this long is saturated. */
  private static final long SATURATION_NANOS = TimeUnit.MICROSECONDS.toNanos(200);
  /**
   * How long a saturated former with natural batching lets a batch fill, from its oldest item, at
   * most (never more than half the delivery timeout).
   */
  private static final long SATURATED_LINGER_NANOS = TimeUnit.MICROSECONDS.toNanos(50);
  /** How long the former parks when a claimed head slot is slow to be published. */
  private static final long PUBLISH_WAIT_NANOS = TimeUnit.MICROSECONDS.toNanos(50);

  /** How often the monitor retries when the batch former holds the consumer lock. */
  private static final long MONITOR_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
  /** How long close() waits for the worker threads to leave once every item has ended. */
  private static final long WORKER_EXIT_NANOS = TimeUnit.SECONDS.toNanos(10);
  /** The slice in which a blocked producer re-reads the (possibly manual) clock. */
  private static final long BLOCK_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  // ---- configuration (immutable)
  private final BatcherConfig<T> config;
  private final String name;
  private final @Nullable BatchSink<T> sink;
  private final @Nullable AsyncBatchSink<T> asyncSink;
  private final TimeSource time;
  private final BatcherListener<T> listener;
  private final int maxBatchSize;
  private final long maxBatchWeight;
  private final long capacityWeight;
  private final @Nullable ToLongFunction<? super T> weigher;
  private final long lingerNanos;
  private final double jitter;
  private final int capacity;
  private final OverflowPolicy overflow;
  private final long blockTimeoutNanos;
  private final long deliveryTimeoutNanos;
  private final @Nullable Function<? super T, ?> coalesceKey;
  private final @Nullable BinaryOperator<T> coalesceMerge;
  private final RetryPolicy retryPolicy;
  private final @Nullable DeadLetterHandler<T> deadLetterHandler;
  private final @Nullable Function<? super T, ?> idFunction;
  private final boolean atomicSink;
  private final RateLimitedLog warnings = new RateLimitedLog(LOG);
  /** Wall-clock anchor for turning TimeSource readings into the instants of a dead letter. */
  private final Instant startInstant = Instant.now();
  private final long startNanos;

  // ---- the intake: capacity bound and waiting entries
  private final Intake<T> intake;
  /** Weight of accepted, unfinished entries (only with a weigher). */
  private final AtomicLong acceptedWeight = new AtomicLong();
  /** Weight of entries in the queue (only with a weigher). */
  private final AtomicLong queuedWeight = new AtomicLong();
  private final @Nullable ConcurrentHashMap<Object, Entry<T>> coalescing;

  // ---- batch forming; everything below is guarded by consumerLock unless volatile
  private final ReentrantLock consumerLock = new ReentrantLock();
  /** Entries taken out of the queue that go before it: the item that did not fit by weight. */
  private final ArrayDeque<Entry<T>> front = new ArrayDeque<>();
  private long frontWeight;
  private volatile int frontCount;
  private volatile long frontWeightPublished;
  /** The acceptance time of the head while the former lingers: read by the monitor. */
  private volatile long lingeringSince;
  /** The former's state and thread: read by producers on every submit, on lines of its own. */
  private final FormerSignal formerState = new FormerSignal();
  /**
   * Failed entries waiting out their backoff, and halves of failed atomic batches, by due time.
   * Workers that finish a sink call hand them over through {@link #retryInbox}, because they
   * must not wait for consumerLock (an idle former holds it while parked).
   */
  private final PriorityQueue<Group<T>> retryHeap = new PriorityQueue<>();
  /** Entries the former dropped while forming, committed once it releases consumerLock. */
  private Settlement deferred = new Settlement();
  /** Where the former gathers a batch before copying it out. Guarded by consumerLock. */
  private final Entry<T>[] scratch;
  /** When the former last found the intake empty. Guarded by consumerLock. */
  private long lastIdleAt;
  /**
   * One worker calling a blocking sink: it is the only former, so while it completes a batch's
   * futures it may share its clock readings with the producers (SETTLING).
   */
  private final boolean soleWorker;
  /** SATURATED_LINGER_NANOS, or half the delivery timeout if that is shorter; 0: never lingers. */
  private final long saturatedLingerNanos;
  /** Set when the former closed a flush epoch: complete flushes once the lock is released. */
  private boolean pollFlushes;
  /** Returned by nextBatch() when it has deferred work to do outside the lock before going on. */
  private final Formed<T> deferredMarker =
      new Formed<>(List.of(), FlushCause.DELAY, 0, false, false);
  private final ConcurrentLinkedQueue<Group<T>> retryInbox = new ConcurrentLinkedQueue<>();
  private final AtomicLong retrySeq = new AtomicLong();

  // ---- in flight
  private final FlightTable<InFlight> inFlight;
  private final @Nullable Semaphore asyncSlots;
  private final List<Worker> workers = new CopyOnWriteArrayList<>();
  private final AtomicInteger workerSeq = new AtomicInteger();
  private final Thread monitor;
  /** When the monitor plans to wake next; dispatch wakes it sooner for an older batch. */
  private volatile long monitorWakeAt;

  // ---- producers waiting for room (OverflowPolicy.BLOCK); j.u.c locks do not pin virtual threads
  private final ReentrantLock notFullLock = new ReentrantLock();
  private final Condition notFull = notFullLock.newCondition();
  private final AtomicInteger blockedProducers = new AtomicInteger();

  // ---- lifecycle
  private final FlushTracker flushes = new FlushTracker();
  private volatile boolean closed;
  private volatile boolean aborted;
  private final CompletableFuture<Void> terminated = new CompletableFuture<>();
  private final AtomicBoolean closeStarted = new AtomicBoolean();

  // ---- metrics
  /** Submitted items merged into a waiting entry (coalescing), counted before the merge. */
  private final LongAdder merged = new LongAdder();
  private final LongAdder succeeded = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final LongAdder deadLettered = new LongAdder();
  private final LongAdder retries = new LongAdder();
  private final LongAdder bisections = new LongAdder();
  private final LongAdder[] refused = adders(RefusalReason.values().length);
  /** One exception per refusal reason, without a stack trace, shared by all refused futures. */
  private final RejectedItemException[] refusals;
  private final LongAdder[] dropped = adders(DropReason.values().length);
  private final LongAdder[] batches = adders(FlushCause.values().length);
  private final Histogram batchSizes = new Histogram();
  private final Histogram latencies = new Histogram();

  /** True unless the listener keeps BatcherListener's empty onBatch: then no event is built. */
  private final boolean listenerWantsBatches;

  /** Starts a batcher with validated settings; use {@link dev.batcher.BatcherBuilder}. */
  public DefaultBatcher(BatcherConfig<T> config) {
    this.config = requireNonNull(config, "config");
    this.name = config.name();
    this.sink = config.sink();
    this.asyncSink = config.asyncSink();
    this.time = config.timeSource();
    this.listener = config.listener();
    this.maxBatchSize = config.maxBatchSize();
    this.maxBatchWeight = config.maxBatchWeight();
    this.capacityWeight = config.queueCapacityWeight();
    this.weigher = config.weigher();
    this.lingerNanos = config.maxDelayNanos();
    this.jitter = config.jitter();
    this.capacity = config.queueCapacity();
    this.overflow = config.overflow();
    this.blockTimeoutNanos = config.blockTimeoutNanos();
    this.deliveryTimeoutNanos = config.deliveryTimeoutNanos();
    this.coalesceKey = config.coalesceKey();
    this.coalesceMerge = config.coalesceMerge();
    this.coalescing = coalesceKey == null ? null : new ConcurrentHashMap<>();
    // Only DROP_OLDEST takes entries out from producer threads; the rest can use the lock-free
    // single-consumer ring.
    this.intake = overflow == OverflowPolicy.DROP_OLDEST
        ? Intake.locked(flushes, capacity, this::roomReleased)
        : Intake.ring(flushes, capacity, this::roomReleased);
    this.asyncSlots = asyncSink == null ? null : new Semaphore(config.maxInFlightBatches());
    this.retryPolicy = config.retryPolicy();
    this.deadLetterHandler = config.deadLetterHandler();
    this.idFunction = config.idFunction();
    this.atomicSink = config.atomicSink();
    this.startNanos = time.nanoTime();
    this.lastIdleAt = startNanos;
    this.saturatedLingerNanos = Math.min(SATURATED_LINGER_NANOS, deliveryTimeoutNanos / 2);
    this.refusals = new RejectedItemException[RefusalReason.values().length];
    for (RefusalReason r : RefusalReason.values()) {
      refusals[r.ordinal()] = new RejectedItemException(name, r, describe(r, null), null);
    }

    this.inFlight = new FlightTable<>(config.maxInFlightBatches());
    @SuppressWarnings("unchecked")
    Entry<T>[] gather = (Entry<T>[]) new Entry<?>[Math.min(maxBatchSize, capacity)];
    this.scratch = gather;
    this.listenerWantsBatches = overrides(listener, "onBatch", BatchEvent.class);
    int workerCount = asyncSink == null ? config.maxInFlightBatches() : 1;
    this.soleWorker = asyncSink == null && workerCount == 1;
    this.monitor = newThread(this::runMonitor, "batcher-" + name + "-monitor");
    for (int i = 0; i < workerCount; i++) {
      startWorker();
    }
    monitor.start();
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

  // ===================================================================================== intake

  @Override
  public CompletableFuture<Void> submit(T item) {
    return accept(item, true);
  }

  @Override
  public boolean offer(T item) {
    return !(accept(item, false) instanceof Refused);
  }

  private CompletableFuture<Void> accept(T item, boolean mayBlock) {
    requireNonNull(item, "item");
    long weight = 0;
    if (weigher != null) {
      weight = weigher.applyAsLong(item);
      if (weight < 0) {
        throw new IllegalArgumentException(
            "weigher returned a negative weight for the item: " + weight);
      }
    }
    Object key = coalesceKey == null ? null : coalesceKey.apply(item);
    if (weight > maxBatchWeight) {
      refuse(item, RefusalReason.TOO_HEAVY, "", null);
      throw new IllegalArgumentException(
          "item weight " + weight + " exceeds maxBatchWeight " + maxBatchWeight);
    }
    if (key != null) {
      return acceptCoalesced(item, key, mayBlock);
    }
    if (closed) {
      return refuse(item, RefusalReason.CLOSED, "", null); // cheap early answer
    }
    // The acceptance time is taken before the claim: user code (the TimeSource) never runs while
    // a claim is held, and the slot is published moments after it is claimed. While the former
    // is forming, its own recent clock reading serves (see FormerSignal): no clock read here.
    long acceptedAt = formerState.acceptanceTime(time);
    // Claim a numbered slot: one compare-and-set, at once the capacity reservation, the queue
    // position and the flush stamp; it fails once close() has run (see close()).
    long ticket = tryClaim(weight);
    if (ticket < 0) {
      ticket = claimSlowly(ticket, weight, mayBlock);
      if (ticket < 0) {
        return refuse(item, refusalOf(ticket), "", null);
      }
      acceptedAt = acceptedAfterWaiting(ticket, weight);
    }
    Entry<T> entry;
    try {
      entry = new Entry<>(item, acceptedAt,
          weigher == null ? null : new Entry.Extra(weight, null));
    } catch (Throwable t) { // out of memory: never leave a claimed slot unpublished
      cancel(ticket, weight);
      throw t;
    }
    intake.publish(ticket, entry);
    long queuedW = weigher == null ? 0 : queuedWeight.addAndGet(weight);
    signalFormer(ticket, queuedW);
    return entry;
  }

  /**
   * A claim that had to wait (BLOCK) or evict (DROP_OLDEST) is accepted now, not when the
   * producer arrived: reads the clock again, giving the claim back if the clock throws.
   */
  private long acceptedAfterWaiting(long ticket, long weight) {
    try {
      return time.nanoTime();
    } catch (Throwable t) {
      cancel(ticket, weight);
      throw t;
    }
  }

  private CompletableFuture<Void> acceptCoalesced(T item, Object key, boolean mayBlock) {
    ConcurrentHashMap<Object, Entry<T>> map = requireNonNull(coalescing);
    BinaryOperator<T> merge = requireNonNull(coalesceMerge);
    if (closed) {
      return refuse(item, RefusalReason.CLOSED, "", null);
    }
    CompletableFuture<Void> waiter = new CompletableFuture<>();
    // Fast path: the key is waiting; merge into it under the map's bin lock. An entry is removed
    // from the map before it is finished, so a finished one is only met in a race: treat it as
    // absent.
    merged.increment(); // before the merge: a merged entry may finish at once
    try {
      if (map.computeIfPresent(key,
          (k, e) -> e.isFinished() ? null : mergeInto(e, item, waiter, merge)) != null) {
        return waiter;
      }
    } catch (RuntimeException e) {
      CompletableFuture<Void> refusal = refuse(item, RefusalReason.MERGE_FAILED, "", e);
      merged.decrement();
      return refusal;
    } catch (Throwable t) {
      merged.decrement();
      throw t;
    }
    merged.decrement(); // not merged: counted below as accepted or refused
    long acceptedAt = formerState.acceptanceTime(time); // before the claim, as in accept()
    // The claim comes before the entry enters the map: an item merged into it, and returned,
    // before a flush() started, then lies below the flush's end, which waits for it.
    long ticket = tryClaim(0);
    if (ticket < 0) {
      ticket = claimSlowly(ticket, 0, mayBlock);
      if (ticket < 0) {
        return refuse(item, refusalOf(ticket), "", null);
      }
      acceptedAt = acceptedAfterWaiting(ticket, 0);
    }
    Entry<T> winner;
    Entry<T> fresh;
    merged.increment(); // before the entry is visible: a merge into it may finish at once
    try {
      fresh = new Entry<>(item, acceptedAt, new Entry.Extra(0, key));
      winner = map.compute(key, (k, e) -> e == null || e.isFinished() ? fresh
          : mergeInto(e, item, waiter, merge));
    } catch (RuntimeException e) {
      merged.decrement();
      refused[RefusalReason.MERGE_FAILED.ordinal()].increment(); // before the claim goes
      cancel(ticket, 0);
      return refusal(item, RefusalReason.MERGE_FAILED, "", e);
    } catch (Throwable t) { // an Error in the merge: never leave a claimed slot unpublished
      merged.decrement();
      cancel(ticket, 0);
      throw t;
    }
    if (winner != fresh) { // another producer created the key meanwhile; we merged into it
      cancel(ticket, 0);
      return waiter;
    }
    merged.decrement(); // not merged after all: it is the entry
    // Published only once in the map: the former seals an entry by removing it from the map
    // after taking it out, which must not happen before it is in.
    intake.publish(ticket, fresh);
    signalFormer(ticket, 0);
    return fresh;
  }

  private static <T> Entry<T> mergeInto(
      Entry<T> entry, T item, CompletableFuture<Void> waiter, BinaryOperator<T> merge) {
    T merged = requireNonNull(merge.apply(entry.item, item), "coalesce merge returned null");
    entry.item = merged;
    entry.addWaiter(waiter);
    return entry;
  }

  /**
   * The claim found the queue full: applies the overflow policy.
   *
   * @param refused what the first attempt returned
   * @return the claim's ticket, or a negative code for the refusal: see {@link #refusalOf}
   */
  private long claimSlowly(long refused, long weight, boolean mayBlock) {
    if (refused == Intake.CLOSED) {
      return refused;
    }
    switch (overflow) {
      case FAIL:
        return Intake.FULL;
      case DROP_OLDEST:
        return claimByEviction(weight);
      case BLOCK:
      default:
        return mayBlock ? claimBlocking(weight) : Intake.FULL;
    }
  }

  /** Refusal codes besides {@link Intake#FULL} and {@link Intake#CLOSED}. */
  private static final long INTERRUPTED = -3;
  private static final long BLOCK_TIMEOUT = -4;

  private static RefusalReason refusalOf(long code) {
    if (code == BLOCK_TIMEOUT) {
      return RefusalReason.BLOCK_TIMEOUT;
    } else if (code == INTERRUPTED) {
      return RefusalReason.INTERRUPTED;
    } else if (code == Intake.CLOSED) {
      return RefusalReason.CLOSED;
    }
    return RefusalReason.QUEUE_FULL;
  }

  /**
   * One compare-and-set on the fast path; with a weight bound, the weight is reserved first and
   * given back if the count is full. Between the two, a racing producer may be refused although
   * there was room by weight. The bounds themselves are never exceeded.
   *
   * @return the ticket, or {@link Intake#FULL} or {@link Intake#CLOSED}
   */
  private long tryClaim(long weight) {
    if (weigher == null) {
      return intake.claim();
    }
    long w = acceptedWeight.addAndGet(weight);
    if (w > capacityWeight) {
      acceptedWeight.addAndGet(-weight);
      return closed ? Intake.CLOSED : Intake.FULL;
    }
    long ticket = intake.claim();
    if (ticket < 0) {
      acceptedWeight.addAndGet(-weight);
    }
    return ticket;
  }

  /**
   * Gives back a claim whose entry will never be published. In the ring, a cancelled claim keeps
   * its room until the former takes it out, so the former is woken for it: a closing batcher
   * waits for that room before it terminates, and the claim counts until then, so the former
   * cannot have left.
   */
  private void cancel(long ticket, long weight) {
    if (weigher != null) {
      acceptedWeight.addAndGet(-weight);
    }
    intake.cancel(ticket);
    wakeFormer();
  }

  /** The intake gave room back by itself (a cancelled claim taken out). */
  private void roomReleased(int n) {
    signalRoom(n);
    afterRelease();
  }

  private long claimByEviction(long weight) {
    while (true) {
      Entry<T> victim = intake.evictOldest();
      if (victim == null) {
        return Intake.FULL; // nothing waiting to evict: all capacity is in flight
      }
      if (weigher != null) {
        queuedWeight.addAndGet(-victim.weight());
      }
      Object key = victim.key();
      if (coalescing != null && key != null) {
        coalescing.remove(key, victim);
      }
      Settlement s = new Settlement(1);
      s.drop(victim, DropReason.EVICTED);
      s.commit();
      flushes.poll();
      long ticket = tryClaim(weight);
      if (ticket >= 0 || ticket == Intake.CLOSED) {
        return ticket;
      }
    }
  }

  private long claimBlocking(long weight) {
    long deadline = time.nanoTime() + blockTimeoutNanos;
    try {
      notFullLock.lockInterruptibly();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return INTERRUPTED;
    }
    blockedProducers.incrementAndGet();
    try {
      while (true) {
        // blockedProducers was raised before this attempt, so a release after it signals us.
        long ticket = tryClaim(weight);
        if (ticket >= 0 || ticket == Intake.CLOSED) {
          return ticket;
        }
        long remaining = deadline - time.nanoTime();
        if (remaining <= 0) {
          return BLOCK_TIMEOUT;
        }
        notFull.awaitNanos(Math.min(remaining, BLOCK_SLICE_NANOS));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return INTERRUPTED;
    } finally {
      blockedProducers.decrementAndGet();
      notFullLock.unlock();
    }
  }

  private CompletableFuture<Void> refuse(
      T item, RefusalReason reason, String detail, @Nullable Throwable cause) {
    refused[reason.ordinal()].increment();
    return refusal(item, reason, detail, cause);
  }

  /** Tells the listener and builds the refused future; the refusal is counted already. */
  private CompletableFuture<Void> refusal(
      T item, RefusalReason reason, String detail, @Nullable Throwable cause) {
    notifyListener(() -> listener.onRefused(item, reason));
    RejectedItemException error = cause == null && detail.isEmpty()
        ? refusals[reason.ordinal()] // shared: shedding load must not allocate an exception each
        : new RejectedItemException(name, reason,
            detail.isEmpty() ? describe(reason, cause) : detail, cause);
    return new Refused(error);
  }

  private String describe(RefusalReason reason, @Nullable Throwable cause) {
    switch (reason) {
      case QUEUE_FULL:
        return "the queue is full (queueCapacity " + capacity + ", overflow " + overflow + ")";
      case BLOCK_TIMEOUT:
        return "the queue stayed full for blockTimeout " + Duration.ofNanos(blockTimeoutNanos);
      case INTERRUPTED:
        return "the producer was interrupted while waiting for room";
      case CLOSED:
        return "the batcher is closed";
      case TOO_HEAVY:
        return "the item weighs more than maxBatchWeight " + maxBatchWeight;
      case MERGE_FAILED:
      default:
        return "coalescing failed: " + cause;
    }
  }

  /**
   * Wakes the former if it is parked and this entry matters to it. The claim's compare-and-set
   * ordered the claim before this read of the state, and the former publishes its state before
   * it looks at the intake's claims: either we see it parked, or it sees our claim.
   */
  private void signalFormer(long ticket, long queuedW) {
    int state = formerState.state();
    if (state == RUNNING || state == FORMING || state == SETTLING) {
      return; // awake: it looks at the intake before it parks
    }
    if ((state == LINGER || state == SATURATED)
        && intake.queuedAfter(ticket) + frontCount < maxBatchSize
        && (weigher == null || queuedW + frontWeightPublished < maxBatchWeight)) {
      return; // the lingering batch is not full yet; its deadline will wake the former
    }
    formerState.wake(state);
  }

  /** Wakes the former whatever it waits for: flush, close, abort, termination. */
  private void wakeFormer() {
    formerState.wakeAny();
  }

  // =============================================================================== batch forming

  /** A batch taken from the queue, ready for the sink. */
  private static final class Formed<T> {
    final List<Entry<T>> entries;
    final FlushCause cause;
    final long weight;
    /** A half of a failed atomic batch: sent exactly as it is, never mixed with other items. */
    final boolean pinned;
    /** Holds entries that were attempted before: dispatch counts their attempts. */
    final boolean retried;

    Formed(List<Entry<T>> entries, FlushCause cause, long weight, boolean pinned,
        boolean retried) {
      this.entries = entries;
      this.cause = cause;
      this.weight = weight;
      this.pinned = pinned;
      this.retried = retried;
    }
  }

  /** Entries due for another attempt at {@link #notBefore}; pinned groups go out as they are. */
  private static final class Group<T> implements Comparable<Group<T>> {
    final List<Entry<T>> entries;
    final boolean pinned;
    final long notBefore;
    final long seq;
    int next; // entries before this index were taken into batches

    Group(List<Entry<T>> entries, boolean pinned, long notBefore, long seq) {
      this.entries = entries;
      this.pinned = pinned;
      this.notBefore = notBefore;
      this.seq = seq;
    }

    @Override
    public int compareTo(Group<T> o) {
      int c = Long.compare(notBefore - o.notBefore, 0); // wrap-safe nanoTime order
      return c != 0 ? c : Long.compare(seq, o.seq);
    }
  }

  /**
   * Waits for the next batch and takes it out of the queue. Called with consumerLock held.
   *
   * @return the batch, {@link #deferredMarker} when there is work to do outside the lock first,
   *     or null when the batcher has terminated or been aborted
   */
  private @Nullable Formed<T> nextBatch() {
    formerState.formedBy(Thread.currentThread()); // a write only when another worker forms
    long extraLinger = -1; // jitter, drawn once per batch
    boolean saturatedLingered = false; // a saturated former lingers once per batch, at most
    while (true) {
      if (aborted) {
        closeFlushedEpochs(); // takeBatch completes what this closed once the lock is released
        return null;
      }
      if (pollFlushes || closeFlushedEpochs()) {
        return deferredMarker; // complete the flushes outside the lock, then come back
      }
      long now = time.nanoTime();
      formerState.forming(now); // producers stamp items with this reading meanwhile
      pullRetries();
      expireWaiting(now, false, deferred);
      if (!deferred.isEmpty()) {
        return deferredMarker; // commit the drops outside the lock, then come back
      }
      Group<T> retry = retryHeap.peek();
      if (retry != null && retry.notBefore - now <= 0) {
        Formed<T> batch = takeRetries(now, deferred);
        if (batch != null) {
          return batch;
        }
        continue;
      }
      Entry<T> head = front.isEmpty() ? intake.peek() : front.peekFirst();
      if (head == null) {
        if (closed && accepted() == 0) {
          closeFlushedEpochs(); // everything is taken out: every ended epoch can close
          return null;
        }
        // Idle, and no spinning first: a former that polls the ring while producers write it
        // makes them pay a cross-core miss per cache line, and its batches stay tiny; parked, it
        // is woken by the next producer and then finds a batch's worth. Publish IDLE, then look
        // again, so a producer that claimed a slot (or a worker that handed over a retry, or a
        // flush) either sees IDLE and wakes us or is seen here: both sides are sequentially
        // consistent.
        formerState.set(IDLE);
        if (intake.peek() == null && retryInbox.isEmpty() && !aborted
            && !(closed && accepted() == 0) && !closeFlushedEpochs()) {
          if (!intake.hasClaims()) {
            if (retry != null) {
              parkUntil(retry.notBefore); // until the next retry is due
            } else {
              LockSupport.park(this);
            }
          } else if (!awaitPublish()) {
            // A producer has claimed the head slot and not published it yet: preempted, most
            // likely. It reads our state after publishing, so it will wake us; the bounded park
            // covers only a publish that was still on its way to memory when it read the state.
            LockSupport.parkNanos(this, PUBLISH_WAIT_NANOS);
          }
        }
        formerState.set(RUNNING);
        // The intake was empty until just now: whatever arrived while we were parked is fresh.
        lastIdleAt = time.nanoTime();
        continue;
      }
      // Natural batching (no linger) takes whatever is there, without counting it (counting reads
      // the producers' claim counter and costs them a cache miss), unless the former is
      // saturated: it has not found the intake empty for a while. Then whatever is there is a
      // sliver, the former spends its time on per-batch work and on the very cache lines the
      // producers are writing, and throughput drops while latency does not improve (items queue
      // up anyway). So a saturated former lets the batch fill, once per batch, for at most
      // saturatedLingerNanos from its oldest item; it is back to natural batching as soon as
      // it finds the intake empty.
      long linger = lingerNanos;
      boolean saturated = linger == 0 && !saturatedLingered && saturatedLingerNanos > 0
          && now - lastIdleAt > SATURATION_NANOS;
      if (saturated) {
        linger = saturatedLingerNanos;
      }
      boolean urgent = linger == 0 || closed || flushes.pending();
      boolean fullByCount = !urgent && queuedCount() >= maxBatchSize;
      boolean full = fullByCount
          || (!urgent && weigher != null && queuedWeight.get() + frontWeight >= maxBatchWeight);
      if (!full && !urgent) {
        if (extraLinger < 0) {
          extraLinger = jitter == 0 ? 0
              : (long) (ThreadLocalRandom.current().nextDouble() * jitter * lingerNanos);
        }
        long deadline = head.acceptedAt + linger + extraLinger;
        if (retry != null && retry.notBefore - deadline < 0) {
          deadline = retry.notBefore;
        }
        if (deadline - now > 0) {
          frontCount = front.size();
          frontWeightPublished = frontWeight;
          lingeringSince = head.acceptedAt;
          formerState.set(saturated ? SATURATED : LINGER);
          // Look again after publishing LINGER (the same handshake as for IDLE).
          if (queuedCount() < maxBatchSize
              && (weigher == null || queuedWeight.get() + frontWeight < maxBatchWeight)
              && !closed && !flushes.pending() && !aborted && retryInbox.isEmpty()) {
            if (saturated) {
              // A pause of real time, whatever the time source: with a manual clock that nobody
              // advances, a saturated former still sends its batch after this one pause.
              saturatedLingered = true;
              LockSupport.parkNanos(this, deadline - now);
            } else {
              parkUntil(deadline);
            }
          }
          formerState.set(RUNNING);
          continue;
        }
      }
      FlushCause hint = closed ? FlushCause.CLOSE
          : flushes.pending() ? FlushCause.FLUSH : FlushCause.DELAY;
      // A batch found full by count may include claims not yet published: drain waits for them
      // rather than sending the batch short (and calling it DELAY).
      Formed<T> batch = drain(null, 0, hint, fullByCount);
      if (batch != null) {
        return batch;
      }
    }
  }

  /**
   * A producer has claimed the head slot and not yet published it: it is a few instructions
   * away, unless it was preempted. Waits a moment for that slot alone (not for the intake's
   * counters, which the producers write).
   *
   * @return true if the slot was published meanwhile
   */
  private boolean awaitPublish() {
    for (int i = 0; i < PUBLISH_SPINS; i++) {
      Thread.onSpinWait();
      if (intake.peek() != null) {
        return true;
      }
    }
    return false;
  }

  /**
   * The batch was found full by counting claims, and the next one is claimed but not yet
   * published: waits for it (spinning, then parking briefly in real time; the producer is a few
   * instructions from its publish unless it was preempted). Without this wait, a batch counted
   * full would go out short, and its last items would wait a whole linger for the next one.
   *
   * @return true if the claim may be taken now (published, or cancelled and skipped); false if
   *     there is no claim left to wait for, or the batcher was aborted
   */
  private boolean awaitClaimed() {
    while (intake.hasClaims() && !aborted) {
      if (awaitPublish()) {
        return true;
      }
      LockSupport.parkNanos(this, PUBLISH_WAIT_NANOS);
    }
    return false;
  }

  /**
   * While a flush waits, closes the epochs whose entries have all been taken out. Called with
   * consumerLock held.
   *
   * @return true if one was closed: its flush may complete, once the lock is released
   */
  private boolean closeFlushedEpochs() {
    if (flushes.pending() && intake.closeConsumedEpochs()) {
      pollFlushes = true;
      return true;
    }
    return false;
  }

  /** Moves handed-over retries into the heap. Called with consumerLock held. */
  private void pullRetries() {
    for (Group<T> g; (g = retryInbox.poll()) != null; ) {
      retryHeap.add(g);
    }
  }

  /**
   * Forms a batch from due retries: a pinned group alone, or due entries topped up with waiting
   * items. Called with consumerLock held.
   */
  private @Nullable Formed<T> takeRetries(long now, Settlement expired) {
    Group<T> g = retryHeap.peek();
    if (g != null && g.pinned) {
      retryHeap.poll();
      List<Entry<T>> entries = new ArrayList<>(g.entries.size());
      long weight = 0;
      for (Entry<T> e : g.entries) {
        if (expired(e, now)) {
          expired.drop(e, DropReason.DELIVERY_TIMEOUT);
        } else if (!e.isFinished()) { // the monitor may have dropped it meanwhile
          entries.add(e);
          weight += e.weight();
        }
      }
      return entries.isEmpty() ? null
          : new Formed<>(entries, FlushCause.RETRY, weight, true, true);
    }
    List<Entry<T>> batch = new ArrayList<>();
    long weight = 0;
    retries:
    while ((g = retryHeap.peek()) != null && !g.pinned && g.notBefore - now <= 0) {
      while (g.next < g.entries.size()) {
        if (batch.size() == maxBatchSize) {
          break retries;
        }
        Entry<T> e = g.entries.get(g.next);
        if (expired(e, now)) {
          expired.drop(e, DropReason.DELIVERY_TIMEOUT);
        }
        if (e.isFinished()) {
          g.next++;
          continue;
        }
        if (e.weight() > maxBatchWeight - weight) {
          break retries;
        }
        batch.add(e);
        weight += e.weight();
        g.next++;
      }
      retryHeap.poll();
    }
    if (batch.isEmpty()) {
      return null;
    }
    // Retried items may share a batch with newer ones: acceptance order is not kept for them.
    return drain(batch, weight, FlushCause.RETRY, false);
  }

  private long queuedCount() {
    return intake.queued() + front.size();
  }

  private long accepted() {
    return intake.accepted();
  }

  /**
   * Takes up to one batch's worth of entries, in order, after {@code started} (due retries) if
   * given. Called with consumerLock held.
   */
  private @Nullable Formed<T> drain(
      @Nullable List<Entry<T>> started, long startWeight, FlushCause hint, boolean awaitClaims) {
    long weight = startWeight;
    FlushCause cause = null;
    List<Entry<T>> batch;
    if (started == null && weigher == null && coalescing == null && front.isEmpty()) {
      // The common case: no weights, no keys, nothing set aside; a plain run over the ring into
      // a reused array, copied out at its exact size.
      Entry<T>[] into = scratch;
      int n = 0;
      while (n < into.length) {
        Entry<T> e = intake.poll();
        if (e == null) {
          if (awaitClaims && awaitClaimed()) {
            continue; // a counted claim was published (or cancelled): look again
          }
          break;
        }
        into[n++] = e;
      }
      batch = n == 0 ? List.of() : java.util.Arrays.asList(java.util.Arrays.copyOf(into, n));
      java.util.Arrays.fill(into, 0, n, null); // the scratch must not keep items alive
    } else {
      batch = started != null ? started : new ArrayList<>();
      long polledWeight = 0;
      while (batch.size() < maxBatchSize) {
        Entry<T> e = front.pollFirst();
        if (e != null) {
          frontWeight -= e.weight();
        } else {
          e = intake.poll();
          if (e == null) {
            if (awaitClaims && awaitClaimed()) {
              continue;
            }
            break;
          }
          polledWeight += e.weight();
        }
        long w = e.weight();
        if (w > maxBatchWeight - weight) {
          front.addFirst(e); // starts the next batch
          frontWeight += w;
          cause = FlushCause.WEIGHT;
          break;
        }
        Object key = e.key();
        if (coalescing != null && key != null) {
          coalescing.remove(key, e); // seal: later items with this key start a new entry
        }
        batch.add(e);
        weight += w;
      }
      if (weigher != null && polledWeight > 0) {
        queuedWeight.addAndGet(-polledWeight);
      }
      frontCount = front.size();
    }
    closeFlushedEpochs();
    if (batch.isEmpty()) {
      return null;
    }
    boolean retried = hint == FlushCause.RETRY;
    if (retried) {
      cause = FlushCause.RETRY;
    } else if (cause == null) {
      cause = batch.size() == maxBatchSize ? FlushCause.SIZE
          : weight == maxBatchWeight ? FlushCause.WEIGHT : hint;
    }
    return new Formed<>(batch, cause, weight, false, retried);
  }

  /**
   * Drops waiting entries older than the delivery timeout into {@code s}, to be committed after
   * the lock is released. The queue is in acceptance order, so they are at its head. Called with
   * consumerLock held.
   *
   * @return the earliest delivery deadline among the entries still waiting
   */
  private long expireWaiting(long now, boolean retriesToo, Settlement s) {
    while (true) {
      Entry<T> e = front.peekFirst();
      if (e != null) {
        if (!expired(e, now)) {
          break;
        }
        front.pollFirst();
        frontWeight -= e.weight();
      } else {
        e = intake.peek();
        if (e == null || !expired(e, now)) {
          break;
        }
        e = intake.poll(); // may differ from the peeked one if a producer evicted it meanwhile
        if (e == null) {
          break;
        }
        if (weigher != null) {
          queuedWeight.addAndGet(-e.weight());
        }
        if (!expired(e, now)) {
          front.addLast(e);
          frontWeight += e.weight();
          break;
        }
      }
      Object key = e.key();
      if (coalescing != null && key != null) {
        coalescing.remove(key, e);
      }
      s.drop(e, DropReason.DELIVERY_TIMEOUT);
    }
    frontCount = front.size();
    Entry<T> head = front.isEmpty() ? intake.peek() : front.peekFirst();
    long next = head == null ? Long.MAX_VALUE : head.acceptedAt + deliveryTimeoutNanos;
    if (retriesToo) {
      // The former drops expired retries as it takes them; only the monitor scans the whole
      // heap, for when no former comes by (every worker stuck in a hung sink).
      for (Group<T> g : retryHeap) {
        for (int i = g.next; i < g.entries.size(); i++) {
          Entry<T> e = g.entries.get(i);
          if (e.isFinished()) {
            continue;
          }
          if (expired(e, now)) {
            s.drop(e, DropReason.DELIVERY_TIMEOUT);
          } else {
            next = Math.min(next, e.acceptedAt + deliveryTimeoutNanos);
          }
        }
      }
    }
    return next;
  }

  private boolean expired(Entry<T> e, long now) {
    return now - e.acceptedAt >= deliveryTimeoutNanos;
  }

  // ==================================================================================== workers

  /** A worker thread; replaced when the monitor abandons a sink call that hangs in it. */
  private final class Worker implements Runnable {
    final Thread thread;
    /** Where this worker's batches look for a free in-flight slot first. */
    final int index;
    volatile boolean abandoned;

    Worker() {
      this.index = workerSeq.incrementAndGet();
      this.thread = newThread(this, "batcher-" + name + "-flush-" + index);
    }

    @Override
    public void run() {
      try {
        if (asyncSink == null) {
          runBlockingSink(this);
        } else {
          runAsyncSink(this);
        }
      } catch (Throwable t) {
        // Nothing in the loop should throw; if it does, log it and keep the batcher alive.
        LOG.error("batcher '{}': worker {} failed; starting a replacement", name,
            Thread.currentThread().getName(), t);
        if (!abandoned && !terminated.isDone()) {
          workers.remove(this);
          startWorker();
        }
      }
    }
  }

  private void startWorker() {
    Worker w = new Worker();
    workers.add(w);
    w.thread.start();
  }

  private Thread newThread(Runnable runnable, String threadName) {
    Thread t = config.threadFactory().newThread(runnable);
    if (t == null) {
      throw new IllegalStateException("threadFactory returned null for " + threadName);
    }
    t.setName(threadName);
    return t;
  }

  /**
   * Takes the next batch, committing outside the lock whatever the former dropped on the way
   * (completing futures runs callbacks, which may block or call back into the batcher).
   */
  private @Nullable Formed<T> takeBatch() {
    while (true) {
      Formed<T> batch;
      Settlement drops = null;
      boolean epochsClosed;
      consumerLock.lock();
      try {
        try {
          batch = nextBatch();
        } finally {
          formerState.set(RUNNING); // leaving the forming loop: its clock reading goes stale
        }
        if (!deferred.isEmpty()) { // swapped under the lock: another former fills a fresh one
          drops = deferred;
          deferred = new Settlement();
        }
        epochsClosed = pollFlushes;
        pollFlushes = false;
      } finally {
        consumerLock.unlock();
      }
      if (drops != null) {
        drops.commit();
      }
      if (epochsClosed) {
        flushes.poll();
      }
      if (batch == null) {
        closeEpochsOnExit();
        return null;
      }
      if (batch != deferredMarker) {
        return batch;
      }
    }
  }

  /**
   * A former is leaving for good. A flush() that raced with its last look found the lock taken
   * and left the closing of its epoch to the former: look once more, now that the lock is free.
   * A flush that comes later takes the lock itself (see flush()).
   */
  private void closeEpochsOnExit() {
    if (!flushes.pending()) {
      return;
    }
    boolean closedAny;
    consumerLock.lock();
    try {
      closedAny = intake.closeConsumedEpochs();
    } finally {
      consumerLock.unlock();
    }
    if (closedAny) {
      flushes.poll();
    }
  }

  private void runBlockingSink(Worker w) {
    BatchSink<T> s = requireNonNull(sink);
    while (!w.abandoned) {
      Formed<T> batch = takeBatch();
      if (batch == null) {
        return;
      }
      InFlight flight = dispatch(batch, w);
      if (flight == null) {
        continue;
      }
      BatchResult result = null;
      Throwable failure = null;
      try {
        result = s.write(itemsOf(batch.entries));
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
        if (aborted || terminated.isDone()) {
          return;
        }
        continue;
      }
      Formed<T> batch = takeBatch();
      if (batch == null) {
        slots.release();
        return;
      }
      InFlight flight = dispatch(batch, w);
      if (flight == null) {
        continue; // its slot was released when it was abandoned
      }
      CompletionStage<BatchResult> stage;
      try {
        stage = requireNonNull(s.write(itemsOf(batch.entries)),
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

  /** The sink's view of a batch: the items, read-only, without copying them. */
  private static final class Items<T> extends java.util.AbstractList<T>
      implements java.util.RandomAccess {
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

  private List<T> itemsOf(List<Entry<T>> entries) {
    return new Items<>(entries);
  }

  // ================================================================================== in flight

  /** A batch handed to the sink. Settled once: by its completion, or abandoned by the monitor. */
  private final class InFlight {
    final List<Entry<T>> entries;
    final FlushCause cause;
    final long weight;
    final long dispatchedAt;
    final Worker worker;
    final boolean pinned;
    /** 0 until settled; written only through {@link #SETTLED}. */
    volatile int settled;

    InFlight(Formed<T> batch, long dispatchedAt, Worker worker) {
      this.entries = batch.entries;
      this.cause = batch.cause;
      this.weight = batch.weight;
      this.dispatchedAt = dispatchedAt;
      this.worker = worker;
      this.pinned = batch.pinned;
    }
  }

  private @Nullable InFlight dispatch(Formed<T> batch, Worker w) {
    long now = time.nanoTime();
    InFlight flight = new InFlight(batch, now, w);
    long oldestRetried = Long.MAX_VALUE;
    if (batch.retried) {
      // Only entries attempted before carry attempt bookkeeping; a first attempt costs nothing
      // here, and its time is the flight's dispatch time should it fail.
      for (Entry<T> e : batch.entries) {
        Entry.Attempts a = e.attempts;
        if (a != null) {
          a.count++;
          a.last = now;
          if (e.acceptedAt < oldestRetried) {
            oldestRetried = e.acceptedAt;
          }
        }
      }
    }
    inFlight.add(flight, w.index);
    if (aborted) {
      // close(Duration) gave up between takeBatch() and here and may not have seen this batch.
      abandon(flight, DropReason.CLOSE_TIMEOUT);
      return null;
    }
    // The monitor plans for the oldest item it saw waiting; a retried item can be older than
    // that. Fresh items never are, so ordinary batches never wake it.
    if (oldestRetried != Long.MAX_VALUE
        && oldestRetried + deliveryTimeoutNanos - monitorWakeAt < 0) {
      LockSupport.unpark(monitor);
    }
    return flight;
  }

  /** Frees the slot of a batch: its completion or its abandonment, whichever comes first. */
  private boolean settle(InFlight flight) {
    if (!SETTLED.compareAndSet(flight, 0, 1)) {
      return false;
    }
    inFlight.remove(flight);
    if (asyncSlots != null) {
      asyncSlots.release();
    }
    return true;
  }

  /**
   * Ends the items of a finished sink call as its result says, or schedules them again. See
   * {@code docs/failures.md}: per-item failures are retried or given up one by one; a thrown
   * failure is retried as a whole while it is retryable and attempts remain, and otherwise, for an
   * atomic sink, the batch is split in halves until the items that fail on their own are found.
   *
   * @return false if the monitor had abandoned the call (its items were dropped then)
   */
  private boolean complete(
      InFlight flight, @Nullable BatchResult result, @Nullable Throwable failure) {
    long now = time.nanoTime();
    long sinkNanos = now - flight.dispatchedAt;
    if (!settle(flight)) {
      return false; // abandoned by the monitor, which already dropped its items
    }
    List<Entry<T>> entries = flight.entries;
    Throwable broken = null; // the sink broke its contract: a bug that no retry can mend
    if (failure == null) {
      if (result == null) {
        broken = new NullPointerException("BatchSink.write returned null instead of a result");
      } else if (result.size() >= 0 && result.size() != entries.size()) {
        broken = new IllegalStateException("BatchSink.write returned a result for "
            + result.size() + " items for a batch of " + entries.size());
      }
    }
    Settlement s = new Settlement(entries.size());
    Retries again = null; // only when something failed
    int ok = 0;
    try {
      if (broken != null) {
        for (Entry<T> e : entries) {
          e.attemptFailed(flight.dispatchedAt);
          s.giveUp(e, broken);
        }
      } else if (failure == null) {
        BatchResult r = requireNonNull(result);
        if (r.isSuccess()) { // every item: no per-item outcomes to read
          for (Entry<T> e : entries) {
            s.succeed(e);
          }
          ok = entries.size();
        } else {
          for (int i = 0; i < entries.size(); i++) {
            Entry<T> e = entries.get(i);
            BatchResult.Outcome outcome = r.outcome(i);
            if (outcome == BatchResult.Outcome.SUCCEEDED) {
              s.succeed(e);
              ok++;
            } else {
              Throwable cause = requireNonNull(r.cause(i));
              e.attemptFailed(flight.dispatchedAt);
              if (outcome == BatchResult.Outcome.FAILED_PERMANENTLY) {
                s.giveUp(e, cause);
                continue;
              }
              if (again == null) {
                again = new Retries(now, flight.pinned);
              }
              if (!again.offer(e, cause, s)) {
                s.giveUp(e, cause);
              }
            }
          }
        }
      } else {
        for (Entry<T> e : entries) {
          e.attemptFailed(flight.dispatchedAt);
        }
        again = new Retries(now, flight.pinned);
        failWhole(flight, failure, again, s);
      }
    } catch (Throwable bug) {
      // User code on this path (the retry classifier, a listener) threw. The batch is out of
      // the in-flight set, so nothing else would ever end its items: give them up here.
      LOG.error("batcher '{}': failed while handling the result of a batch of {} items; giving "
          + "them up", name, entries.size(), bug);
      again = null;
      for (Entry<T> e : entries) {
        e.attemptFailed(flight.dispatchedAt);
        s.giveUp(e, bug);
      }
    }
    batches[flight.cause.ordinal()].increment();
    batchSizes.record(entries.size());
    s.commit(now, soleWorker);
    if (again != null) {
      again.schedule();
    }
    if (listenerWantsBatches) {
      BatchEvent event = new BatchEvent(flight.cause, entries.size(), flight.weight, ok,
          entries.size() - ok, sinkNanos);
      notifyListener(() -> listener.onBatch(event));
    }
    return true;
  }

  /** The sink threw for the whole batch: retry it, split it, or give its items up. */
  private void failWhole(InFlight flight, Throwable failure, Retries again, Settlement s) {
    List<Entry<T>> live = new ArrayList<>(flight.entries.size());
    for (Entry<T> e : flight.entries) {
      if (!e.isFinished()) {
        live.add(e);
      }
    }
    boolean retryable = retryPolicy.isRetryable(failure);
    List<Entry<T>> spent = live;
    if (retryable && !(flight.pinned && live.size() > 1)) {
      // A half under isolation that fails is split again rather than retried: that is what
      // bounds isolation to O(k log n) calls. Single items and ordinary batches retry.
      spent = new ArrayList<>();
      for (Entry<T> e : live) {
        if (!again.offer(e, failure, s) && !e.isFinished()) {
          spent.add(e);
        }
      }
    }
    if (spent.isEmpty()) {
      return;
    }
    if (atomicSink && spent.size() > 1) {
      // Nothing of an atomic batch was written: split it and send each half on its own.
      int mid = spent.size() / 2;
      bisections.increment();
      again.pin(new ArrayList<>(spent.subList(0, mid)));
      again.pin(new ArrayList<>(spent.subList(mid, spent.size())));
      return;
    }
    for (Entry<T> e : spent) {
      s.giveUp(e, failure);
    }
  }

  /** Collects the entries of one finished call that get another attempt, and schedules them. */
  private final class Retries {
    private final long now;
    private final boolean pinned;
    private @Nullable Map<Integer, List<Entry<T>>> byAttempts;
    private @Nullable List<List<Entry<T>>> halves;
    private @Nullable Map<Integer, Long> backoffs;

    Retries(long now, boolean pinned) {
      this.now = now;
      this.pinned = pinned;
    }

    /**
     * Takes {@code e} for another attempt if it has attempts left and the attempt can start
     * before its delivery timeout; drops it when only the timeout stands in the way.
     *
     * @return true if taken or dropped, false if its attempts are spent
     */
    boolean offer(Entry<T> e, Throwable cause, Settlement s) {
      if (e.isFinished()) {
        return true; // dropped by the monitor while its call ran: nothing left to retry
      }
      if (e.attemptCount() >= retryPolicy.maxAttempts()) {
        return false;
      }
      if (aborted) {
        s.drop(e, DropReason.CLOSE_TIMEOUT);
        return true;
      }
      long notBefore = now + backoffFor(e.attemptCount());
      if (notBefore - (e.acceptedAt + deliveryTimeoutNanos) >= 0) {
        s.drop(e, DropReason.DELIVERY_TIMEOUT); // the retry could not start in time
        return true;
      }
      if (byAttempts == null) {
        byAttempts = new java.util.TreeMap<>();
      }
      byAttempts.computeIfAbsent(e.attemptCount(), k -> new ArrayList<>()).add(e);
      T item = e.item;
      int attempts = e.attemptCount();
      notifyListener(() -> listener.onRetry(item, cause, attempts));
      return true;
    }

    /** The backoff for items with this many attempts, drawn once: checked and used alike. */
    private long backoffFor(int attempts) {
      if (backoffs == null) {
        backoffs = new java.util.HashMap<>();
      }
      return backoffs.computeIfAbsent(attempts, retryPolicy::backoffNanos);
    }

    void pin(List<Entry<T>> half) {
      if (halves == null) {
        halves = new ArrayList<>(2);
      }
      halves.add(half);
    }

    /** Hands the groups to the former; one backoff per attempt count keeps a batch together. */
    void schedule() {
      boolean any = false;
      if (halves != null) {
        for (List<Entry<T>> half : halves) {
          retryInbox.add(new Group<>(half, true, now, retrySeq.incrementAndGet()));
          any = true;
        }
      }
      if (byAttempts != null) {
        for (Map.Entry<Integer, List<Entry<T>>> g : byAttempts.entrySet()) {
          long notBefore = now + backoffFor(g.getKey());
          retries.add(g.getValue().size());
          // A single item of a pinned group stays pinned: it is being isolated.
          retryInbox.add(new Group<>(g.getValue(), pinned, notBefore,
              retrySeq.incrementAndGet()));
          any = true;
        }
      }
      if (any) {
        wakeFormer();
        if (aborted) {
          // close(Duration) gave up meanwhile and may have drained the inbox already.
          Settlement s = new Settlement();
          for (Group<T> g; (g = retryInbox.poll()) != null; ) {
            for (Entry<T> e : g.entries) {
              s.drop(e, DropReason.CLOSE_TIMEOUT);
            }
          }
          s.commit();
        }
      }
    }
  }

  private static String firstCause(BatchResult r) {
    for (int i = 0; i < r.size(); i++) {
      Throwable c = r.cause(i);
      if (c != null) {
        return "item " + i + ": " + c;
      }
    }
    return "none";
  }

  // ==================================================================================== monitor

  /**
   * Runs until the batcher has terminated and no sink call is left in flight: a call that hangs
   * past termination must still be abandoned, or close() would wait for its worker forever.
   */
  private void runMonitor() {
    while (true) {
      // terminated is read before aborted: abort() sets aborted before it terminates, so seeing
      // the termination means seeing the abort.
      if (terminated.isDone() && inFlight.isEmpty() && !(aborted && intake.hasClaims())) {
        return;
      }
      boolean lateClaims = aborted && intake.hasClaims();
      long now = time.nanoTime();
      long next = now + deliveryTimeoutNanos;
      monitorWakeAt = next; // before the scan: a batch dispatched during it compares to this
      for (int i = 0; i < inFlight.size(); i++) {
        InFlight flight = inFlight.get(i);
        if (flight != null) {
          next = Math.min(next, checkInFlight(flight, now));
        }
      }
      if (lateClaims) {
        // close(Duration) gave up while producers were between their claim and their publish.
        // Their entries appear as they resume; no worker is left to take them, so drop them here.
        Settlement late = new Settlement();
        consumerLock.lock();
        try {
          dropQueued(late);
        } finally {
          consumerLock.unlock();
        }
        late.commit();
        flushes.poll();
        if (intake.hasClaims()) {
          LockSupport.parkNanos(this, MONITOR_RETRY_NANOS); // real time: a producer resuming
        }
        continue;
      }
      int state = formerState.state();
      boolean lingering = state == LINGER || state == SATURATED;
      if ((state == IDLE || lingering) && frontCount == 0) {
        // A parked former wakes by itself before anything waiting expires: the linger ends
        // before the head's delivery timeout, and a retry is due before its item's. Plan to look
        // when the lingering head would expire, in case it is then in a call that hangs.
        if (lingering) {
          next = Math.min(next, lingeringSince + deliveryTimeoutNanos);
        }
      } else if (consumerLock.tryLock()) {
        Settlement expired = new Settlement();
        try {
          pullRetries();
          next = Math.min(next, expireWaiting(now, true, expired));
        } finally {
          consumerLock.unlock();
        }
        expired.commit(); // outside the lock: it completes futures, whose callbacks may block
      } else {
        next = Math.min(next, now + MONITOR_RETRY_NANOS); // the former is forming a batch
      }
      if (terminated.isDone() && inFlight.isEmpty() && !(aborted && intake.hasClaims())) {
        return;
      }
      monitorWakeAt = next;
      parkUntil(next);
    }
  }

  /**
   * Parks the calling thread on the TimeSource until {@code deadline}, reading the clock right
   * before parking so that the wait is measured from now, whatever ran since the caller's read.
   */
  private void parkUntil(long deadline) {
    long wait = deadline - time.nanoTime();
    if (wait > 0) {
      time.parkNanos(this, wait);
    }
  }

  /**
   * Drops the entries of an in-flight batch that passed the delivery timeout and abandons the
   * call once it is older than the timeout itself.
   *
   * @return when to look at this batch again
   */
  private long checkInFlight(InFlight flight, long now) {
    // A call whose items have all been dropped is still a healthy call in its slot: abandoning it
    // early would start a second call beside it. Only close() has reason not to wait for it.
    if (now - flight.dispatchedAt >= deliveryTimeoutNanos
        || (terminated.isDone() && allFinished(flight))) {
      abandon(flight, DropReason.DELIVERY_TIMEOUT);
      return Long.MAX_VALUE;
    }
    long next = flight.dispatchedAt + deliveryTimeoutNanos;
    Settlement s = null;
    for (Entry<T> e : flight.entries) {
      if (e.isFinished()) {
        continue;
      }
      if (expired(e, now)) {
        if (s == null) {
          s = new Settlement();
        }
        s.drop(e, DropReason.DELIVERY_TIMEOUT);
      } else {
        next = Math.min(next, e.acceptedAt + deliveryTimeoutNanos);
      }
    }
    if (s != null) {
      s.commit();
      if (terminated.isDone() && allFinished(flight)) { // only close() waits on it now
        abandon(flight, DropReason.DELIVERY_TIMEOUT);
        return Long.MAX_VALUE;
      }
    }
    return next;
  }

  private boolean allFinished(InFlight flight) {
    for (Entry<T> e : flight.entries) {
      if (!e.isFinished()) {
        return false;
      }
    }
    return true;
  }

  /** Gives up on a sink call: drops its items and frees its slot, replacing a stuck worker. */
  private void abandon(InFlight flight, DropReason reason) {
    if (!settle(flight)) {
      return;
    }
    Settlement s = new Settlement();
    for (Entry<T> e : flight.entries) {
      s.drop(e, reason);
    }
    batches[flight.cause.ordinal()].increment();
    batchSizes.record(flight.entries.size());
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
      warnings.warn("batcher '{}': an async sink call did not complete within {}; its {} items "
          + "were dropped", name, Duration.ofNanos(deliveryTimeoutNanos), flight.entries.size());
    }
    s.commit(); // first: it may be the ending that terminates the batcher
    if (replace && !aborted && !terminated.isDone()) {
      LOG.warn("batcher '{}': a sink call on {} did not return within {}; its {} items were "
          + "dropped and a new worker takes over", name, w.thread.getName(),
          Duration.ofNanos(deliveryTimeoutNanos), flight.entries.size());
      startWorker();
    }
  }

  // ================================================================================= settlement

  /**
   * Collects the endings of a group of entries and applies them in one go: dead-letter handlers
   * first (their outcome decides how a future fails), then counters (so a test that waits on a
   * future sees them), capacity (so a callback that submits finds room), futures, flush epochs
   * and the termination check, and last the listener.
   */
  private final class Settlement {
    private static final byte SUCCEEDED = 0;
    private static final byte DROPPED = 1;
    private static final byte GAVE_UP = 2;

    private Entry<T>[] ended;
    /** Kind of each ending; null while every ending so far is a success (the common case). */
    private byte @Nullable [] kinds;
    /** Reason or cause of each ending, by kind; allocated with {@link #kinds}. */
    private @Nullable Object @Nullable [] details;
    private int n;
    private long weight;

    Settlement() {
      this(8);
    }

    @SuppressWarnings("unchecked")
    Settlement(int expected) {
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
        ended = java.util.Arrays.copyOf(ended, size);
        if (kinds != null) {
          kinds = java.util.Arrays.copyOf(kinds, size);
          details = java.util.Arrays.copyOf(details, size);
        }
      }
      if (kind != SUCCEEDED && kinds == null) {
        kinds = new byte[ended.length]; // zero: SUCCEEDED for the endings before this one
        details = new Object[ended.length];
      }
      ended[n] = e;
      if (kinds != null) {
        kinds[n] = kind;
        requireNonNull(details)[n] = detail;
      }
      n++;
      if (weigher != null) {
        weight += e.weight();
      }
    }

    void commit() {
      commit(time.nanoTime());
    }

    /** Commits with {@code now} as the completion time of every entry (for the latencies). */
    void commit(long now) {
      commit(now, false);
    }

    /**
     * Commits with {@code now} as the completion time of every entry; {@code shareClock} only
     * from the sole worker (see {@link FormerSignal#settling}): completing thousands of futures
     * takes long enough that producers would otherwise read the clock meanwhile.
     */
    void commit(long now, boolean shareClock) {
      int n = this.n;
      if (n == 0) {
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
        ok = tally(ended, kinds, requireNonNull(details), errors);
      }
      if (ok > 0) {
        succeeded.add(ok);
      }
      if (weigher != null) {
        acceptedWeight.addAndGet(-weight);
      }
      intake.release(n);
      signalRoom(n);
      try (Histogram.Batch latency = latencies.batch()) {
        // A fresh reading, not now: user code (a retry classifier, a dead-letter handler, a
        // listener) may have run since now was read.
        boolean share = shareClock && shareReading(-1);
        int callbacks = 0;
        try {
          for (int i = 0; i < n; i++) {
            Entry<T> e = ended[i];
            latency.record(now - e.acceptedAt);
            if (share) {
              if (e.mayRunCallbacks()) {
                // A dependent may be user code that takes its time: no reading is shared while
                // it runs. After a few, the batch stops sharing (each costs the producers a
                // miss on the state's line, and the worker a clock read).
                formerState.set(RUNNING);
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
            formerState.set(RUNNING);
          }
        }
      }
      FlushTracker.Epoch run = null;
      long runLength = 0;
      for (int i = 0; i < n; i++) { // entries of one group nearly always share an epoch
        FlushTracker.Epoch epoch = ended[i].epoch;
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
      flushes.poll();
      afterRelease();
      if (kinds != null) {
        notifyEndings(ended, kinds, requireNonNull(details), n);
      }
    }

    /**
     * Publishes a fresh clock reading as SETTLING; false (and RUNNING) if the time source threw,
     * which must not leave futures of this batch uncompleted.
     */
    private boolean shareReading(int at) {
      try {
        formerState.settling(time.nanoTime());
        return true;
      } catch (Throwable t) {
        formerState.set(RUNNING);
        LOG.warn("batcher '{}': the time source failed while completing a batch (at {}); "
            + "producers read it themselves", name, at, t);
        return false;
      }
    }

    private void end(Entry<T> e, Throwable @Nullable [] errors, int i) {
      if (errors == null || errors[i] == null) {
        e.succeed();
      } else {
        e.fail(errors[i]);
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
          if (shared[r.ordinal()] == null) {
            shared[r.ordinal()] = dropException(r);
          }
          errors[i] = shared[r.ordinal()];
        } else {
          Throwable cause = (Throwable) requireNonNull(details[i]);
          ItemWriteException error = deadLetter(e, cause);
          if (error.deadLettered()) {
            lettered += e.count();
          } else {
            bad += e.count();
          }
          errors[i] = error;
          if (firstCause == null) {
            firstCause = cause;
          }
          if (idFunction != null) {
            if (gaveUpIds == null) {
              gaveUpIds = new ArrayList<>();
            }
            if (gaveUpIds.size() < 10) {
              gaveUpIds.add(idOf(e.item));
            }
          }
        }
      }
      if (lettered > 0) {
        deadLettered.add(lettered);
      }
      if (bad + lettered > 0) {
        failed.add(bad);
        logGaveUp(bad + lettered, gaveUpIds, requireNonNull(firstCause));
      }
      if (droppedBy != null) {
        for (int i = 0; i < droppedBy.length; i++) {
          if (droppedBy[i] > 0) {
            dropped[i].add(droppedBy[i]);
          }
        }
      }
      return ok;
    }

    private void notifyEndings(Entry<T>[] ended, byte[] kinds, Object[] details, int n) {
      for (int i = 0; i < n; i++) {
        byte kind = kinds[i];
        if (kind == SUCCEEDED) {
          continue;
        }
        T item = ended[i].item;
        Object detail = requireNonNull(details[i]);
        if (kind == DROPPED) {
          notifyListener(() -> listener.onDropped(item, (DropReason) detail));
        } else {
          notifyListener(() -> listener.onFailed(item, (Throwable) detail));
        }
      }
    }
  }

  /** Hands {@code e} to the dead-letter handler, if any, and returns how its future fails. */
  private ItemWriteException deadLetter(Entry<T> e, Throwable cause) {
    DeadLetterHandler<T> handler = deadLetterHandler;
    int attempts = e.attemptCount();
    if (handler == null) {
      return new ItemWriteException(name, cause, attempts, false);
    }
    Entry.Attempts a = e.attempts; // set when its first attempt failed, before this give-up
    long first = a == null ? e.acceptedAt : a.first;
    long last = a == null ? e.acceptedAt : a.last;
    try {
      handler.handle(new DeadLetter<>(e.item, idOf(e.item), cause, attempts,
          instantOf(first), instantOf(last)));
      return new ItemWriteException(name, cause, attempts, true);
    } catch (Throwable handlerFailure) {
      ItemWriteException error = new ItemWriteException(name, cause, attempts, false);
      error.addSuppressed(handlerFailure);
      warnings.warn("batcher '{}': the dead-letter handler threw for item {}: {}", name,
          idOf(e.item), handlerFailure.toString());
      return error;
    }
  }

  private @Nullable Object idOf(T item) {
    if (idFunction == null) {
      return null;
    }
    try {
      return idFunction.apply(item);
    } catch (Throwable e) {
      return "<idFunction threw " + e + ">";
    }
  }

  private Instant instantOf(long nanos) {
    return startInstant.plusNanos(nanos - startNanos);
  }

  private void logGaveUp(long count, @Nullable List<Object> ids, Throwable firstCause) {
    if (ids != null) {
      warnings.warn("batcher '{}': {} item(s) failed for good, ids {}{}; first cause: {}", name,
          count, ids, count > ids.size() ? " (first " + ids.size() + ")" : "",
          firstCause.toString());
    } else {
      warnings.warn("batcher '{}': {} item(s) failed for good (set an idFunction to name them);"
          + " first cause: {}", name, count, firstCause.toString());
    }
  }

  private DroppedItemException dropException(DropReason reason) {
    switch (reason) {
      case EVICTED:
        return new DroppedItemException(name, reason,
            "evicted by a newer item: the queue was full (queueCapacity " + capacity
                + ", overflow DROP_OLDEST)");
      case DELIVERY_TIMEOUT:
        return new DroppedItemException(name, reason,
            "not finished within deliveryTimeout " + Duration.ofNanos(deliveryTimeoutNanos)
                + "; if its batch was in flight it may still have been written");
      case CLOSE_TIMEOUT:
      default:
        return new DroppedItemException(name, reason,
            "not finished when close(Duration) ran out of time; if its batch was in flight it "
                + "may still have been written");
    }
  }

  /**
   * Lets producers blocked on a full queue retry: as many as slots were released, so that a
   * release of one slot does not wake a herd. Cheap when none is blocked.
   */
  private void signalRoom(int released) {
    int blocked = blockedProducers.get();
    if (blocked > 0) {
      notFullLock.lock();
      try {
        if (released >= blocked) {
          notFull.signalAll();
        } else {
          for (int i = 0; i < released; i++) {
            notFull.signal();
          }
        }
      } finally {
        notFullLock.unlock();
      }
    }
  }

  /**
   * Called after capacity was released: may end a closing batcher. The count is read only once
   * closed, so the workers' hot path never reads the producers' claim counter here.
   */
  private void afterRelease() {
    if (closed && intake.accepted() == 0) {
      signalRoom(Integer.MAX_VALUE);
      terminate();
    }
  }

  private void terminate() {
    if (terminated.complete(null)) {
      wakeFormer();
      LockSupport.unpark(monitor);
      for (Worker w : workers) {
        LockSupport.unpark(w.thread);
      }
    }
  }

  /** Whether {@code listener} overrides {@code method} of BatcherListener's empty defaults. */
  private static boolean overrides(Object listener, String method, Class<?>... parameters) {
    try {
      return listener.getClass().getMethod(method, parameters).getDeclaringClass()
          != BatcherListener.class;
    } catch (NoSuchMethodException | SecurityException e) {
      return true; // when in doubt, deliver
    }
  }

  private void notifyListener(Runnable call) {
    try {
      call.run();
    } catch (Throwable e) {
      warnings.warn("batcher '{}': listener {} threw", name, listener, e);
    }
  }

  // ============================================================================ flush and close

  @Override
  public CompletableFuture<Void> flush() {
    CompletableFuture<Void> done = flushes.flush(intake::nextSequence);
    // The epoch closes once the consumer has taken out everything below its end: a parked
    // former is woken for it; with no former on the lock (workers in the sink, or terminated)
    // close what is already taken out here.
    wakeFormer();
    if (consumerLock.tryLock()) {
      boolean closedAny;
      try {
        closedAny = intake.closeConsumedEpochs();
      } finally {
        consumerLock.unlock();
      }
      if (closedAny) {
        flushes.poll();
      }
    }
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
    if (closeStarted.compareAndSet(false, true)) {
      // The intake first: from here on no claim succeeds, so a worker that sees closed and
      // nothing accepted may leave, and the accepted count read below is final but for claims
      // made before this line.
      intake.close();
      closed = true;
      wakeFormer();
      signalRoom(Integer.MAX_VALUE);
      if (accepted() == 0) {
        terminate();
      }
    }
    if (isBatcherThread()) {
      // Called from a callback on one of our own threads: waiting would wait for ourselves.
      return terminated.isDone() && !aborted;
    }
    long deadline = System.nanoTime() + Math.min(timeout.toNanos(), Long.MAX_VALUE / 4);
    try {
      terminated.get(Math.min(timeout.toNanos(), Long.MAX_VALUE / 4), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      abort();
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException e) {
      throw new IllegalStateException("unreachable: termination never fails", e);
    }
    joinWorkers(deadline);
    return !aborted;
  }

  /** Takes everything visible out of the queue into {@code s}. Called with consumerLock held. */
  private void dropQueued(Settlement s) {
    for (Entry<T> e; (e = intake.poll()) != null; ) {
      if (weigher != null) {
        queuedWeight.addAndGet(-e.weight());
      }
      Object key = e.key();
      if (coalescing != null && key != null) {
        coalescing.remove(key, e);
      }
      s.drop(e, DropReason.CLOSE_TIMEOUT);
    }
    if (flushes.pending()) {
      intake.closeConsumedEpochs(); // the caller polls the flushes once the lock is released
    }
  }

  private boolean isBatcherThread() {
    Thread me = Thread.currentThread();
    if (me == monitor) {
      return true;
    }
    for (Worker w : workers) {
      if (w.thread == me) {
        return true;
      }
    }
    return false;
  }

  /**
   * Waits for the worker threads to leave, but not forever: every item has ended by now, so a
   * worker that does not leave within {@link #WORKER_EXIT_NANOS} is reported and left behind
   * (the default threads are daemons) rather than holding up the caller's shutdown.
   */
  private void joinWorkers(long deadline) {
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
        LOG.warn("batcher '{}': worker {} did not stop after close; leaving it", name,
            w.thread.getName());
      }
    }
  }

  /** close(Duration) ran out of time: drop everything left and stop. */
  private void abort() {
    aborted = true;
    wakeFormer();
    Settlement s = new Settlement();
    consumerLock.lock(); // the former leaves nextBatch() promptly once it sees aborted
    try {
      for (Entry<T> e; (e = front.pollFirst()) != null; ) {
        Object key = e.key();
        if (coalescing != null && key != null) {
          coalescing.remove(key, e);
        }
        s.drop(e, DropReason.CLOSE_TIMEOUT);
      }
      frontWeight = 0;
      frontCount = 0;
      dropQueued(s);
      pullRetries();
      for (Group<T> g; (g = retryHeap.poll()) != null; ) {
        for (int i = g.next; i < g.entries.size(); i++) {
          s.drop(g.entries.get(i), DropReason.CLOSE_TIMEOUT);
        }
      }
    } finally {
      consumerLock.unlock();
    }
    s.commit();
    flushes.poll();
    for (int i = 0; i < inFlight.size(); i++) {
      InFlight flight = inFlight.get(i);
      if (flight != null) {
        abandon(flight, DropReason.CLOSE_TIMEOUT);
      }
    }
    // Everything visible is dropped; finish even if a producer that passed the closed check
    // before close() has claimed a slot and not yet published its entry. The monitor keeps
    // running until it has dropped such late entries too (see runMonitor).
    terminate();
    LOG.warn("batcher '{}': close timed out; unfinished items were dropped", name);
  }

  // ==================================================================================== metrics

  @Override
  public BatcherMetrics metrics() {
    // Terminal counters first, submitted last: every ending counted was submitted before, so the
    // derived pending count is never negative. Submitted has no counter of its own (that would
    // cost every submit an atomic add); it is assembled below.
    long ok = succeeded.sum();
    long lettered = deadLettered.sum();
    long bad = failed.sum();
    Map<RefusalReason, Long> refusedBy = new EnumMap<>(RefusalReason.class);
    long refusedTotal = 0;
    for (RefusalReason r : RefusalReason.values()) {
      long v = refused[r.ordinal()].sum();
      refusedBy.put(r, v);
      refusedTotal += v;
    }
    Map<DropReason, Long> droppedBy = new EnumMap<>(DropReason.class);
    long droppedTotal = 0;
    for (DropReason r : DropReason.values()) {
      long v = dropped[r.ordinal()].sum();
      droppedBy.put(r, v);
      droppedTotal += v;
    }
    Map<FlushCause, Long> batchesBy = new EnumMap<>(FlushCause.class);
    for (FlushCause c : FlushCause.values()) {
      batchesBy.put(c, batches[c.ordinal()].sum());
    }
    // Submitted = accepted into the intake (its claim numbers, less cancelled claims) + merged +
    // refused; none of them costs a submit an extra counter.
    long sub = intake.acceptedTotal() + merged.sum() + refusedTotal;
    long pending = Math.max(0, sub - ok - lettered - bad - refusedTotal - droppedTotal);
    long queued = Math.max(0, intake.queued() + frontCount);
    return new BatcherMetrics(sub, ok, lettered, bad, refusedBy, droppedBy, batchesBy,
        retries.sum(), bisections.sum(), pending, queued, inFlight.count(),
        batchSizes.summary(), latencies.summary());
  }

  private static LongAdder[] adders(int n) {
    LongAdder[] a = new LongAdder[n];
    for (int i = 0; i < n; i++) {
      a[i] = new LongAdder();
    }
    return a;
  }

  /** The future returned for a refused item; lets {@link #offer} tell refusals apart. */
  private static final class Refused extends CompletableFuture<Void> {
    Refused(RejectedItemException e) {
      completeExceptionally(e);
    }
  }
}
