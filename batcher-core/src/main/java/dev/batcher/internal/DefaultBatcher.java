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
 *   <li>Producers reserve capacity with one atomic add on {@link #occupancy}, link the entry into a
 *       lock-free queue, and wake the <em>former</em> (the worker forming the next batch) only when
 *       it is parked and the entry makes a difference: the first item into an idle batcher, or the
 *       item that fills a lingering batch. So a worker is woken once per batch, not per item.
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

  /** {@link #occupancy} unit of one accepted (reserved, unfinished) entry: the high 32 bits. */
  private static final long ONE_ACCEPTED = 1L << 32;
  /** {@link #occupancy} unit of one entry counted into the queue: the low 32 bits. */
  private static final long ONE_QUEUED = 1L;

  private static final int RUNNING = 0;
  private static final int IDLE = 1;
  private static final int LINGER = 2;
  /** Busy-wait rounds before the idle former parks: a few microseconds. */
  private static final int IDLE_SPINS = 256;

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

  // ---- the queue
  private final EntryQueue<T> queue;
  /**
   * High 32 bits: entries accepted and not finished (the capacity bound). Low 32 bits: entries
   * counted into the queue and not yet taken out by the former. Producers add both with one
   * atomic add before linking the entry, so the low half may briefly count an entry not yet
   * visible in the queue; it never misses one that is, which is what the wake-up check needs.
   */
  private final AtomicLong occupancy = new AtomicLong();
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
  /** The thread holding consumerLock and forming a batch; producers unpark it. */
  private volatile @Nullable Thread former;
  /** RUNNING, IDLE (parked for any item) or LINGER (parked until a deadline or a full batch). */
  private final AtomicInteger formerState = new AtomicInteger(RUNNING);
  /**
   * Failed entries waiting out their backoff, and halves of failed atomic batches, by due time.
   * Workers that finish a sink call hand them over through {@link #retryInbox}, because they
   * must not wait for consumerLock (an idle former holds it while parked).
   */
  private final PriorityQueue<Group<T>> retryHeap = new PriorityQueue<>();
  /** Entries the former dropped while forming, committed once it releases consumerLock. */
  private Settlement deferred = new Settlement();
  /** Returned by nextBatch() when it has deferred drops to commit before going on. */
  private final Formed<T> deferredMarker = new Formed<>(List.of(), FlushCause.DELAY, 0, false);
  private final ConcurrentLinkedQueue<Group<T>> retryInbox = new ConcurrentLinkedQueue<>();
  private final AtomicLong retrySeq = new AtomicLong();

  // ---- in flight
  private final Set<InFlight> inFlight = ConcurrentHashMap.newKeySet();
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
  /**
   * Entries taken out of the queue, ever. With the entries still counted into the queue, the
   * refusals and the merges, it gives the submitted count without a counter per submit: the
   * worker adds once per batch, before it takes the entries off the queue's count.
   */
  private final LongAdder dequeued = new LongAdder();
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
  private final AtomicInteger inFlightCount = new AtomicInteger();
  private final Histogram batchSizes = new Histogram();
  private final Histogram latencies = new Histogram();

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
    // Only DROP_OLDEST takes entries out from producer threads; the rest can use the cheaper
    // single-consumer queue.
    this.queue = overflow == OverflowPolicy.DROP_OLDEST ? EntryQueue.multiConsumer()
        : EntryQueue.linked();
    this.asyncSlots = asyncSink == null ? null : new Semaphore(config.maxInFlightBatches());
    this.retryPolicy = config.retryPolicy();
    this.deadLetterHandler = config.deadLetterHandler();
    this.idFunction = config.idFunction();
    this.atomicSink = config.atomicSink();
    this.startNanos = time.nanoTime();
    this.refusals = new RejectedItemException[RefusalReason.values().length];
    for (RefusalReason r : RefusalReason.values()) {
      refusals[r.ordinal()] = new RejectedItemException(name, r, describe(r, null), null);
    }

    int workerCount = asyncSink == null ? config.maxInFlightBatches() : 1;
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
    // Reserve capacity (one atomic add), then check closed: see close() for why in this order.
    long queued = reserve(weight, mayBlock);
    if (queued < 0) {
      return refuse(item, refusalOf(queued), "", null);
    }
    if (closed) {
      CompletableFuture<Void> refusal = refuse(item, RefusalReason.CLOSED, "", null);
      unreserve(weight); // after counting the refusal: the item is never counted nowhere
      return refusal;
    }
    FlushTracker.Epoch epoch = flushes.current();
    epoch.started.increment(); // before the entry is visible, so it cannot finish uncounted
    Entry<T> entry = new Entry<>(item, time.nanoTime(), weight, epoch, null);
    queue.offer(entry);
    long queuedW = weigher == null ? 0 : queuedWeight.addAndGet(weight);
    signalFormer(queued, queuedW);
    if (aborted) {
      dropAfterAbort(entry);
    }
    return entry;
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
    }
    merged.decrement(); // not merged: counted below as accepted or refused
    long queued = reserve(0, mayBlock);
    if (queued < 0) {
      return refuse(item, refusalOf(queued), "", null);
    }
    if (closed) {
      CompletableFuture<Void> refusal = refuse(item, RefusalReason.CLOSED, "", null);
      unreserve(0);
      return refusal;
    }
    FlushTracker.Epoch epoch = flushes.current();
    Entry<T> fresh = new Entry<>(item, time.nanoTime(), 0, epoch, key);
    // Counted before the entry is visible in the map: an item merged into it may be followed by
    // a flush() that must wait for it.
    epoch.started.increment();
    Entry<T> winner;
    try {
      winner = map.compute(key, (k, e) -> e == null || e.isFinished() ? fresh
          : mergeInto(e, item, waiter, merge));
    } catch (RuntimeException e) {
      CompletableFuture<Void> refusal = refuse(item, RefusalReason.MERGE_FAILED, "", e);
      epoch.finished.increment();
      unreserve(0);
      return refusal;
    }
    if (winner != fresh) { // another producer created the key meanwhile; we merged into it
      merged.increment();
      epoch.finished.increment();
      unreserve(0);
      flushes.poll();
      return waiter;
    }
    queue.offer(fresh);
    signalFormer(queued, 0);
    if (aborted) {
      dropAfterAbort(fresh);
    }
    return fresh;
  }

  /**
   * A producer passed the closed check just before close(Duration) gave up, and linked its entry
   * after abort() drained the queue: nobody else will end it. abort() sets {@code aborted} before
   * draining and the producer links (a volatile store) before reading it, so one of the two sees
   * the entry. Entries that other producers linked behind ours while ours was still unlinked were
   * invisible to abort() too, and their producers may have returned already: take them as well.
   */
  private void dropAfterAbort(Entry<T> entry) {
    if (coalescing != null && entry.key != null) {
      coalescing.remove(entry.key, entry);
    }
    Settlement s = new Settlement();
    consumerLock.lock(); // the former has left nextBatch(): aborted is set
    try {
      dropQueued(s);
    } finally {
      consumerLock.unlock();
    }
    s.drop(entry, DropReason.CLOSE_TIMEOUT);
    s.commit();
  }

  private static <T> Entry<T> mergeInto(
      Entry<T> entry, T item, CompletableFuture<Void> waiter, BinaryOperator<T> merge) {
    T merged = requireNonNull(merge.apply(entry.item, item), "coalesce merge returned null");
    entry.item = merged;
    entry.addWaiter(waiter);
    return entry;
  }

  /**
   * Reserves room for one entry, applying the overflow policy.
   *
   * @return the number of entries counted into the queue including this one, or a negative code
   *     for the refusal: see {@link #refusalOf}
   */
  private long reserve(long weight, boolean mayBlock) {
    long queued = tryReserve(weight);
    if (queued >= 0) {
      return queued;
    }
    switch (overflow) {
      case FAIL:
        return -1;
      case DROP_OLDEST:
        return reserveByEviction(weight);
      case BLOCK:
      default:
        return mayBlock ? reserveBlocking(weight) : -1;
    }
  }

  private static RefusalReason refusalOf(long code) {
    if (code == -2) {
      return RefusalReason.BLOCK_TIMEOUT;
    } else if (code == -3) {
      return RefusalReason.INTERRUPTED;
    } else if (code == -4) {
      return RefusalReason.CLOSED;
    }
    return RefusalReason.QUEUE_FULL;
  }

  /**
   * One atomic add on the fast path. An add that overshoots the capacity is undone; between the
   * two, a racing producer may be refused although the queue was one short of full. The bound
   * itself is never exceeded.
   */
  private long tryReserve(long weight) {
    long now = occupancy.addAndGet(ONE_ACCEPTED + ONE_QUEUED);
    if ((now >>> 32) > capacity) {
      occupancy.addAndGet(-(ONE_ACCEPTED + ONE_QUEUED));
      return -1;
    }
    if (weigher != null && capacityWeight != Long.MAX_VALUE) {
      long w = acceptedWeight.addAndGet(weight);
      if (w > capacityWeight) {
        acceptedWeight.addAndGet(-weight);
        occupancy.addAndGet(-(ONE_ACCEPTED + ONE_QUEUED));
        return -1;
      }
    } else if (weigher != null) {
      acceptedWeight.addAndGet(weight);
    }
    return now & 0xFFFF_FFFFL;
  }

  /** Gives back a reservation whose entry was never linked into the queue. */
  private void unreserve(long weight) {
    if (weigher != null) {
      acceptedWeight.addAndGet(-weight);
    }
    long now = occupancy.addAndGet(-(ONE_ACCEPTED + ONE_QUEUED));
    signalRoom(1);
    afterRelease(now >>> 32);
  }

  private long reserveByEviction(long weight) {
    while (true) {
      Entry<T> victim = queue.poll();
      if (victim == null) {
        return -1; // nothing waiting to evict: all capacity is in flight
      }
      dequeued.increment();
      occupancy.addAndGet(-ONE_QUEUED);
      if (weigher != null) {
        queuedWeight.addAndGet(-victim.weight);
      }
      if (coalescing != null && victim.key != null) {
        coalescing.remove(victim.key, victim);
      }
      Settlement s = new Settlement();
      s.drop(victim, DropReason.EVICTED);
      s.commit();
      long queued = tryReserve(weight);
      if (queued >= 0) {
        return queued;
      }
    }
  }

  private long reserveBlocking(long weight) {
    long deadline = time.nanoTime() + blockTimeoutNanos;
    try {
      notFullLock.lockInterruptibly();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -3;
    }
    blockedProducers.incrementAndGet();
    try {
      while (true) {
        // blockedProducers was raised before this attempt, so a release after it signals us.
        long queued = tryReserve(weight);
        if (queued >= 0) {
          return queued;
        }
        if (closed) {
          return -4;
        }
        long remaining = deadline - time.nanoTime();
        if (remaining <= 0) {
          return -2;
        }
        notFull.awaitNanos(Math.min(remaining, BLOCK_SLICE_NANOS));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -3;
    } finally {
      blockedProducers.decrementAndGet();
      notFullLock.unlock();
    }
  }

  private CompletableFuture<Void> refuse(
      T item, RefusalReason reason, String detail, @Nullable Throwable cause) {
    refused[reason.ordinal()].increment();
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

  /** Wakes the former if it is parked and this entry matters to it. */
  private void signalFormer(long queued, long queuedW) {
    int state = formerState.get();
    if (state == RUNNING) {
      return;
    }
    if (state == LINGER
        && queued + frontCount < maxBatchSize
        && (weigher == null || queuedW + frontWeightPublished < maxBatchWeight)) {
      return; // the lingering batch is not full yet; its deadline will wake the former
    }
    if (formerState.compareAndSet(state, RUNNING)) {
      Thread t = former;
      if (t != null) {
        LockSupport.unpark(t);
      }
    }
  }

  /** Wakes the former whatever it waits for: flush, close, abort, termination. */
  private void wakeFormer() {
    int state = formerState.get();
    if (state != RUNNING && formerState.compareAndSet(state, RUNNING)) {
      Thread t = former;
      if (t != null) {
        LockSupport.unpark(t);
      }
    }
  }

  // =============================================================================== batch forming

  /** A batch taken from the queue, ready for the sink. */
  private static final class Formed<T> {
    final List<Entry<T>> entries;
    final FlushCause cause;
    final long weight;
    /** A half of a failed atomic batch: sent exactly as it is, never mixed with other items. */
    final boolean pinned;

    Formed(List<Entry<T>> entries, FlushCause cause, long weight, boolean pinned) {
      this.entries = entries;
      this.cause = cause;
      this.weight = weight;
      this.pinned = pinned;
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
   * @return the batch, or null when the batcher has terminated or been aborted
   */
  private @Nullable Formed<T> nextBatch() {
    former = Thread.currentThread();
    long extraLinger = -1; // jitter, drawn once per batch
    while (true) {
      if (aborted) {
        return null;
      }
      long now = time.nanoTime();
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
      Entry<T> head = front.isEmpty() ? queue.peek() : front.peekFirst();
      if (head == null) {
        if (closed && accepted() == 0) {
          return null;
        }
        // Idle: publish IDLE, then look again, so a producer that linked an entry (or a worker
        // that handed over a retry) either sees IDLE and wakes us or did so before our second
        // look: both sides are sequentially consistent.
        if (spinForWork()) {
          continue; // an item arrived within the spin: no park, no wake-up needed
        }
        formerState.set(IDLE);
        if (queue.peek() == null && retryInbox.isEmpty() && !aborted
            && !(closed && accepted() == 0)) {
          if (retry != null) {
            parkUntil(retry.notBefore); // until the next retry is due
          } else {
            LockSupport.park(this);
          }
        }
        formerState.set(RUNNING);
        continue;
      }
      boolean full = queuedCount() >= maxBatchSize
          || (weigher != null && queuedWeight.get() + frontWeight >= maxBatchWeight);
      boolean urgent = lingerNanos == 0 || closed || flushes.pending();
      if (!full && !urgent) {
        if (extraLinger < 0) {
          extraLinger = jitter == 0 ? 0
              : (long) (ThreadLocalRandom.current().nextDouble() * jitter * lingerNanos);
        }
        long deadline = head.acceptedAt + lingerNanos + extraLinger;
        if (retry != null && retry.notBefore - deadline < 0) {
          deadline = retry.notBefore;
        }
        if (deadline - now > 0) {
          frontCount = front.size();
          frontWeightPublished = frontWeight;
          lingeringSince = head.acceptedAt;
          formerState.set(LINGER);
          // Look again after publishing LINGER (the same handshake as for IDLE).
          if (queuedCount() < maxBatchSize
              && (weigher == null || queuedWeight.get() + frontWeight < maxBatchWeight)
              && !closed && !flushes.pending() && !aborted && retryInbox.isEmpty()) {
            parkUntil(deadline);
          }
          formerState.set(RUNNING);
          continue;
        }
      }
      FlushCause hint = closed ? FlushCause.CLOSE
          : flushes.pending() ? FlushCause.FLUSH : FlushCause.DELAY;
      Formed<T> batch = drain(new ArrayList<>(Math.min(maxBatchSize,
          Math.max(queuedCount(), 1))), 0, hint);
      if (batch != null) {
        return batch;
      }
    }
  }

  /**
   * Spins a few microseconds for the next item before parking: a park and the producer's unpark
   * cost tens of microseconds here, while under load the next item is usually nanoseconds away.
   */
  private boolean spinForWork() {
    for (int i = 0; i < IDLE_SPINS; i++) {
      if (queue.peek() != null || !retryInbox.isEmpty()) {
        return true;
      }
      Thread.onSpinWait();
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
          weight += e.weight;
        }
      }
      return entries.isEmpty() ? null : new Formed<>(entries, FlushCause.RETRY, weight, true);
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
        if (e.weight > maxBatchWeight - weight) {
          break retries;
        }
        batch.add(e);
        weight += e.weight;
        g.next++;
      }
      retryHeap.poll();
    }
    if (batch.isEmpty()) {
      return null;
    }
    // Retried items may share a batch with newer ones: acceptance order is not kept for them.
    return drain(batch, weight, FlushCause.RETRY);
  }

  private int queuedCount() {
    return (int) (occupancy.get() & 0xFFFF_FFFFL) + front.size();
  }

  private long accepted() {
    return occupancy.get() >>> 32;
  }

  /** Takes up to one batch's worth of entries, in order. Called with consumerLock held. */
  private @Nullable Formed<T> drain(List<Entry<T>> batch, long startWeight, FlushCause hint) {
    long weight = startWeight;
    long polled = 0;
    long polledWeight = 0;
    FlushCause cause = null;
    while (batch.size() < maxBatchSize) {
      Entry<T> e = front.pollFirst();
      if (e != null) {
        frontWeight -= e.weight;
      } else {
        e = queue.poll();
        if (e == null) {
          break;
        }
        polled++;
        polledWeight += e.weight;
      }
      if (e.weight > maxBatchWeight - weight) {
        front.addFirst(e); // starts the next batch
        frontWeight += e.weight;
        cause = FlushCause.WEIGHT;
        break;
      }
      if (coalescing != null && e.key != null) {
        coalescing.remove(e.key, e); // seal: later items with this key start a new entry
      }
      batch.add(e);
      weight += e.weight;
    }
    if (polled > 0) {
      dequeued.add(polled);
      occupancy.addAndGet(-polled * ONE_QUEUED);
      if (weigher != null) {
        queuedWeight.addAndGet(-polledWeight);
      }
    }
    frontCount = front.size();
    if (batch.isEmpty()) {
      return null;
    }
    if (hint == FlushCause.RETRY) {
      cause = FlushCause.RETRY;
    } else if (cause == null) {
      cause = batch.size() == maxBatchSize ? FlushCause.SIZE
          : weight == maxBatchWeight ? FlushCause.WEIGHT : hint;
    }
    return new Formed<>(batch, cause, weight, false);
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
        frontWeight -= e.weight;
      } else {
        e = queue.peek();
        if (e == null || !expired(e, now)) {
          break;
        }
        e = queue.poll(); // may differ from the peeked one if a producer evicted it meanwhile
        if (e == null) {
          break;
        }
        dequeued.increment();
        occupancy.addAndGet(-ONE_QUEUED);
        if (weigher != null) {
          queuedWeight.addAndGet(-e.weight);
        }
        if (!expired(e, now)) {
          front.addLast(e);
          frontWeight += e.weight;
          break;
        }
      }
      if (coalescing != null && e.key != null) {
        coalescing.remove(e.key, e);
      }
      s.drop(e, DropReason.DELIVERY_TIMEOUT);
    }
    frontCount = front.size();
    Entry<T> head = front.isEmpty() ? queue.peek() : front.peekFirst();
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
    volatile boolean abandoned;

    Worker() {
      this.thread = newThread(this, "batcher-" + name + "-flush-" + workerSeq.incrementAndGet());
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
      Settlement drops;
      consumerLock.lock();
      try {
        batch = nextBatch();
        drops = deferred;
        if (!drops.isEmpty()) {
          deferred = new Settlement();
        }
      } finally {
        former = null;
        consumerLock.unlock();
      }
      drops.commit();
      if (batch != deferredMarker) {
        return batch;
      }
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
      if (w.abandoned) {
        Thread.interrupted(); // clear the monitor's interrupt; this thread is leaving
      }
      complete(flight, result, failure);
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
    final AtomicBoolean settled = new AtomicBoolean();

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
    for (Entry<T> e : batch.entries) {
      if (e.attempts++ == 0) {
        e.firstAttemptAt = now;
      } else if (e.acceptedAt < oldestRetried) {
        oldestRetried = e.acceptedAt;
      }
      e.lastAttemptAt = now;
    }
    inFlightCount.incrementAndGet();
    inFlight.add(flight);
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
    if (!flight.settled.compareAndSet(false, true)) {
      return false;
    }
    inFlight.remove(flight);
    inFlightCount.decrementAndGet();
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
   */
  private void complete(
      InFlight flight, @Nullable BatchResult result, @Nullable Throwable failure) {
    long now = time.nanoTime();
    long sinkNanos = now - flight.dispatchedAt;
    if (!settle(flight)) {
      return; // abandoned by the monitor, which already dropped its items
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
    Retries again = new Retries(now, flight.pinned);
    int ok = 0;
    try {
      if (broken != null) {
        for (Entry<T> e : entries) {
          s.giveUp(e, broken);
        }
      } else if (failure == null) {
        BatchResult r = requireNonNull(result);
        for (int i = 0; i < entries.size(); i++) {
          Entry<T> e = entries.get(i);
          BatchResult.Outcome outcome = r.outcome(i);
          if (outcome == BatchResult.Outcome.SUCCEEDED) {
            s.succeed(e);
            ok++;
          } else {
            Throwable cause = requireNonNull(r.cause(i));
            if (outcome == BatchResult.Outcome.FAILED_PERMANENTLY || !again.offer(e, cause, s)) {
              s.giveUp(e, cause);
            }
          }
        }
      } else {
        failWhole(flight, failure, again, s);
      }
    } catch (Throwable bug) {
      // User code on this path (the retry classifier, a listener) threw. The batch is out of
      // the in-flight set, so nothing else would ever end its items: give them up here.
      LOG.error("batcher '{}': failed while handling the result of a batch of {} items; giving "
          + "them up", name, entries.size(), bug);
      again = null;
      for (Entry<T> e : entries) {
        s.giveUp(e, bug);
      }
    }
    batches[flight.cause.ordinal()].increment();
    batchSizes.record(entries.size());
    s.commit();
    if (again != null) {
      again.schedule();
    }
    BatchEvent event = new BatchEvent(flight.cause, entries.size(), flight.weight, ok,
        entries.size() - ok, sinkNanos);
    notifyListener(() -> listener.onBatch(event));
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
      if (e.attempts >= retryPolicy.maxAttempts()) {
        return false;
      }
      if (aborted) {
        s.drop(e, DropReason.CLOSE_TIMEOUT);
        return true;
      }
      long notBefore = now + backoffFor(e.attempts);
      if (notBefore - (e.acceptedAt + deliveryTimeoutNanos) >= 0) {
        s.drop(e, DropReason.DELIVERY_TIMEOUT); // the retry could not start in time
        return true;
      }
      if (byAttempts == null) {
        byAttempts = new java.util.TreeMap<>();
      }
      byAttempts.computeIfAbsent(e.attempts, k -> new ArrayList<>()).add(e);
      T item = e.item;
      int attempts = e.attempts;
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
    while (!terminated.isDone() || !inFlight.isEmpty()) {
      long now = time.nanoTime();
      long next = now + deliveryTimeoutNanos;
      monitorWakeAt = next; // before the scan: a batch dispatched during it compares to this
      for (InFlight flight : inFlight) {
        next = Math.min(next, checkInFlight(flight, now));
      }
      int state = formerState.get();
      if ((state == IDLE || state == LINGER) && frontCount == 0) {
        // A parked former wakes by itself before anything waiting expires: the linger ends
        // before the head's delivery timeout, and a retry is due before its item's. Plan to look
        // when the lingering head would expire, in case it is then in a call that hangs.
        if (state == LINGER) {
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
      if (terminated.isDone() && inFlight.isEmpty()) {
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
    private static final int SUCCEEDED = 0;
    private static final int DROPPED = 1;
    private static final int GAVE_UP = 2;

    private Entry<T>[] ended;
    private @Nullable Object[] details; // reason or cause, by kind
    private byte[] kinds;
    private int n;
    private long weight;

    Settlement() {
      this(8);
    }

    @SuppressWarnings("unchecked")
    Settlement(int expected) {
      int size = Math.max(1, expected);
      this.ended = (Entry<T>[]) new Entry<?>[size];
      this.details = new Object[size];
      this.kinds = new byte[size];
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

    private void add(Entry<T> e, int kind, @Nullable Object detail) {
      if (n == ended.length) {
        int size = n * 2;
        ended = java.util.Arrays.copyOf(ended, size);
        details = java.util.Arrays.copyOf(details, size);
        kinds = java.util.Arrays.copyOf(kinds, size);
      }
      ended[n] = e;
      kinds[n] = (byte) kind;
      details[n] = detail;
      n++;
      weight += e.weight;
    }

    void commit() {
      int n = this.n;
      if (n == 0) {
        return;
      }
      long ok = 0;
      long lettered = 0;
      long bad = 0;
      long[] droppedBy = null;
      Throwable[] errors = new Throwable[n];
      DroppedItemException[] shared = new DroppedItemException[DropReason.values().length];
      List<Object> gaveUpIds = null;
      Throwable firstCause = null;
      for (int i = 0; i < n; i++) {
        Entry<T> e = ended[i];
        int kind = kinds[i];
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
      if (ok > 0) {
        succeeded.add(ok);
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
      if (weigher != null) {
        acceptedWeight.addAndGet(-weight);
      }
      long remaining = occupancy.addAndGet(-n * ONE_ACCEPTED) >>> 32;
      signalRoom(n);
      long now = time.nanoTime();
      try (Histogram.Batch latency = latencies.batch()) {
        for (int i = 0; i < n; i++) {
          Entry<T> e = ended[i];
          latency.record(now - e.acceptedAt);
          if (errors[i] == null) {
            e.succeed();
          } else {
            e.fail(errors[i]);
          }
        }
      }
      FlushTracker.Epoch run = null;
      long runLength = 0;
      for (int i = 0; i < n; i++) { // entries of one group nearly always share an epoch
        Entry<T> e = ended[i];
        if (e.epoch != run) {
          if (run != null) {
            run.finished.add(runLength);
          }
          run = e.epoch;
          runLength = 0;
        }
        runLength++;
      }
      requireNonNull(run).finished.add(runLength);
      flushes.poll();
      afterRelease(remaining);
      for (int i = 0; i < n; i++) {
        int kind = kinds[i];
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
    if (handler == null) {
      return new ItemWriteException(name, cause, e.attempts, false);
    }
    try {
      handler.handle(new DeadLetter<>(e.item, idOf(e.item), cause, e.attempts,
          instantOf(e.firstAttemptAt), instantOf(e.lastAttemptAt)));
      return new ItemWriteException(name, cause, e.attempts, true);
    } catch (Throwable handlerFailure) {
      ItemWriteException error = new ItemWriteException(name, cause, e.attempts, false);
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

  /** Called after capacity was released: may end a closing batcher. */
  private void afterRelease(long remainingAccepted) {
    if (remainingAccepted == 0 && closed) {
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
    CompletableFuture<Void> done = flushes.flush();
    wakeFormer();
    return done;
  }

  @Override
  public void close() {
    close(Duration.ofNanos(Long.MAX_VALUE));
  }

  /**
   * Closing sets {@link #closed} and then reads {@link #occupancy}; a producer adds to occupancy
   * and then reads {@code closed}. Both are sequentially consistent, so either the producer sees
   * the batcher closed and gives its reservation back, or close sees the reservation and waits for
   * the entry. Nothing accepted is stranded.
   */
  @Override
  public boolean close(Duration timeout) {
    requireNonNull(timeout, "timeout");
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("timeout must not be negative: " + timeout);
    }
    if (closeStarted.compareAndSet(false, true)) {
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
    long polled = 0;
    for (Entry<T> e; (e = queue.poll()) != null; ) {
      polled++;
      if (weigher != null) {
        queuedWeight.addAndGet(-e.weight);
      }
      if (coalescing != null && e.key != null) {
        coalescing.remove(e.key, e);
      }
      s.drop(e, DropReason.CLOSE_TIMEOUT);
    }
    dequeued.add(polled);
    occupancy.addAndGet(-polled * ONE_QUEUED);
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
        if (coalescing != null && e.key != null) {
          coalescing.remove(e.key, e);
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
    for (InFlight flight : inFlight) {
      abandon(flight, DropReason.CLOSE_TIMEOUT);
    }
    // Everything is dropped; finish even if a producer that passed the closed check before
    // close() is still linking its entry (it completes its reservation in nanoseconds).
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
    // Submitted = still counted into the queue + taken out of it + merged + refused. Read the
    // queue's count before the dequeued total: an entry is added to the total before it leaves
    // the count, so it is never missed (at worst counted twice for an instant).
    long inQueue = occupancy.get() & 0xFFFF_FFFFL;
    long sub = inQueue + dequeued.sum() + merged.sum() + refusedTotal;
    long pending = Math.max(0, sub - ok - lettered - bad - refusedTotal - droppedTotal);
    long queued = Math.max(0, inQueue + frontCount);
    return new BatcherMetrics(sub, ok, lettered, bad, refusedBy, droppedBy, batchesBy,
        retries.sum(), bisections.sum(), pending, queued, inFlightCount.get(),
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
