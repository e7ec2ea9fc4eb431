package dev.batcher.internal;

import static java.util.Objects.requireNonNull;

import dev.batcher.AsyncBatchSink;
import dev.batcher.BatchEvent;
import dev.batcher.BatchResult;
import dev.batcher.BatchSink;
import dev.batcher.Batcher;
import dev.batcher.BatcherListener;
import dev.batcher.BatcherMetrics;
import dev.batcher.DropReason;
import dev.batcher.DroppedItemException;
import dev.batcher.FlushCause;
import dev.batcher.ItemWriteException;
import dev.batcher.OverflowPolicy;
import dev.batcher.RefusalReason;
import dev.batcher.RejectedItemException;
import dev.batcher.TimeSource;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
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

  /** How often the monitor retries when the batch former holds the consumer lock. */
  private static final long MONITOR_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
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
  private final RateLimitedLog warnings = new RateLimitedLog(LOG);

  // ---- the queue
  private final ConcurrentLinkedQueue<Entry<T>> queue = new ConcurrentLinkedQueue<>();
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
  /** The thread holding consumerLock and forming a batch; producers unpark it. */
  private volatile @Nullable Thread former;
  /** RUNNING, IDLE (parked for any item) or LINGER (parked until a deadline or a full batch). */
  private final AtomicInteger formerState = new AtomicInteger(RUNNING);

  // ---- in flight
  private final Set<InFlight> inFlight = ConcurrentHashMap.newKeySet();
  private final @Nullable Semaphore asyncSlots;
  private final List<Worker> workers = new CopyOnWriteArrayList<>();
  private final AtomicInteger workerSeq = new AtomicInteger();
  private final Thread monitor;

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
  private final LongAdder submitted = new LongAdder();
  private final LongAdder succeeded = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final LongAdder[] refused = adders(RefusalReason.values().length);
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
    this.asyncSlots = asyncSink == null ? null : new Semaphore(config.maxInFlightBatches());

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
    submitted.increment();
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
      unreserve(weight);
      return refuse(item, RefusalReason.CLOSED, "", null);
    }
    FlushTracker.Epoch epoch = flushes.current();
    epoch.started.increment(); // before the entry is visible, so it cannot finish uncounted
    Entry<T> entry = new Entry<>(item, time.nanoTime(), weight, epoch, null);
    queue.offer(entry);
    long queuedW = weigher == null ? 0 : queuedWeight.addAndGet(weight);
    signalFormer(queued, queuedW);
    return entry;
  }

  private CompletableFuture<Void> acceptCoalesced(T item, Object key, boolean mayBlock) {
    ConcurrentHashMap<Object, Entry<T>> map = requireNonNull(coalescing);
    BinaryOperator<T> merge = requireNonNull(coalesceMerge);
    CompletableFuture<Void> waiter = new CompletableFuture<>();
    // Fast path: the key is waiting; merge into it under the map's bin lock.
    try {
      if (map.computeIfPresent(key, (k, e) -> mergeInto(e, item, waiter, merge)) != null) {
        return waiter;
      }
    } catch (RuntimeException e) {
      return refuse(item, RefusalReason.MERGE_FAILED, "", e);
    }
    long queued = reserve(0, mayBlock);
    if (queued < 0) {
      return refuse(item, refusalOf(queued), "", null);
    }
    if (closed) {
      unreserve(0);
      return refuse(item, RefusalReason.CLOSED, "", null);
    }
    FlushTracker.Epoch epoch = flushes.current();
    Entry<T> fresh = new Entry<>(item, time.nanoTime(), 0, epoch, key);
    Entry<T> winner;
    try {
      winner = map.compute(key, (k, e) -> e == null ? fresh : mergeInto(e, item, waiter, merge));
    } catch (RuntimeException e) {
      unreserve(0);
      return refuse(item, RefusalReason.MERGE_FAILED, "", e);
    }
    if (winner != fresh) { // another producer created the key meanwhile; we merged into it
      unreserve(0);
      return waiter;
    }
    epoch.started.increment();
    queue.offer(fresh);
    signalFormer(queued, 0);
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
    afterRelease(now >>> 32);
  }

  private long reserveByEviction(long weight) {
    while (true) {
      Entry<T> victim = queue.poll();
      if (victim == null) {
        return -1; // nothing waiting to evict: all capacity is in flight
      }
      occupancy.addAndGet(-ONE_QUEUED);
      if (weigher != null) {
        queuedWeight.addAndGet(-victim.weight);
      }
      if (coalescing != null && victim.key != null) {
        coalescing.remove(victim.key, victim);
      }
      Settlement s = new Settlement();
      s.drop(victim, DropReason.EVICTED, null);
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
    String text = detail.isEmpty() ? describe(reason, cause) : detail;
    return new Refused(new RejectedItemException(name, reason, text, cause));
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

    Formed(List<Entry<T>> entries, FlushCause cause, long weight) {
      this.entries = entries;
      this.cause = cause;
      this.weight = weight;
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
      expireWaiting(now);
      Entry<T> head = front.isEmpty() ? queue.peek() : front.peekFirst();
      if (head == null) {
        if (closed && accepted() == 0) {
          return null;
        }
        // Idle: publish IDLE, then look again, so a producer that linked an entry either sees
        // IDLE and wakes us or linked it before our second look (both are sequentially consistent).
        formerState.set(IDLE);
        if (queue.peek() == null && !aborted && !(closed && accepted() == 0)) {
          LockSupport.park(this);
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
        long wait = head.acceptedAt + lingerNanos + extraLinger - now;
        if (wait > 0) {
          frontCount = front.size();
          frontWeightPublished = frontWeight;
          formerState.set(LINGER);
          // Look again after publishing LINGER (the same handshake as for IDLE).
          if (queuedCount() < maxBatchSize
              && (weigher == null || queuedWeight.get() + frontWeight < maxBatchWeight)
              && !closed && !flushes.pending() && !aborted) {
            time.parkNanos(this, wait);
          }
          formerState.set(RUNNING);
          continue;
        }
      }
      FlushCause hint = closed ? FlushCause.CLOSE
          : flushes.pending() ? FlushCause.FLUSH : FlushCause.DELAY;
      Formed<T> batch = drain(hint);
      if (batch != null) {
        return batch;
      }
    }
  }

  private int queuedCount() {
    return (int) (occupancy.get() & 0xFFFF_FFFFL) + front.size();
  }

  private long accepted() {
    return occupancy.get() >>> 32;
  }

  /** Takes up to one batch's worth of entries, in order. Called with consumerLock held. */
  private @Nullable Formed<T> drain(FlushCause hint) {
    List<Entry<T>> batch = new ArrayList<>(Math.min(maxBatchSize, Math.max(queuedCount(), 1)));
    long weight = 0;
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
      occupancy.addAndGet(-polled * ONE_QUEUED);
      if (weigher != null) {
        queuedWeight.addAndGet(-polledWeight);
      }
    }
    frontCount = front.size();
    if (batch.isEmpty()) {
      return null;
    }
    if (cause == null) {
      cause = batch.size() == maxBatchSize ? FlushCause.SIZE
          : weight == maxBatchWeight ? FlushCause.WEIGHT : hint;
    }
    return new Formed<>(batch, cause, weight);
  }

  /**
   * Drops waiting entries older than the delivery timeout. The queue is in acceptance order, so
   * they are at its head. Called with consumerLock held.
   */
  private void expireWaiting(long now) {
    Settlement s = null;
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
      if (s == null) {
        s = new Settlement();
      }
      if (coalescing != null && e.key != null) {
        coalescing.remove(e.key, e);
      }
      s.drop(e, DropReason.DELIVERY_TIMEOUT, null);
    }
    frontCount = front.size();
    if (s != null) {
      s.commit();
    }
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

  private @Nullable Formed<T> takeBatch() {
    consumerLock.lock();
    try {
      return nextBatch();
    } finally {
      former = null;
      consumerLock.unlock();
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

  private List<T> itemsOf(List<Entry<T>> entries) {
    List<T> items = new ArrayList<>(entries.size());
    for (Entry<T> e : entries) {
      items.add(e.item);
    }
    return Collections.unmodifiableList(items);
  }

  // ================================================================================== in flight

  /** A batch handed to the sink. Settled once: by its completion, or abandoned by the monitor. */
  private final class InFlight {
    final List<Entry<T>> entries;
    final FlushCause cause;
    final long weight;
    final long dispatchedAt;
    final Worker worker;
    final AtomicBoolean settled = new AtomicBoolean();

    InFlight(Formed<T> batch, long dispatchedAt, Worker worker) {
      this.entries = batch.entries;
      this.cause = batch.cause;
      this.weight = batch.weight;
      this.dispatchedAt = dispatchedAt;
      this.worker = worker;
    }
  }

  private InFlight dispatch(Formed<T> batch, Worker w) {
    InFlight flight = new InFlight(batch, time.nanoTime(), w);
    inFlightCount.incrementAndGet();
    inFlight.add(flight);
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

  /** Ends the items of a finished sink call as its result says. */
  private void complete(
      InFlight flight, @Nullable BatchResult result, @Nullable Throwable failure) {
    long sinkNanos = time.nanoTime() - flight.dispatchedAt;
    if (!settle(flight)) {
      return; // abandoned by the monitor, which already dropped its items
    }
    List<Entry<T>> entries = flight.entries;
    if (failure == null) {
      if (result == null) {
        failure = new NullPointerException("BatchSink.write returned null instead of a result");
      } else if (result.size() >= 0 && result.size() != entries.size()) {
        failure = new IllegalStateException("BatchSink.write returned a result for "
            + result.size() + " items for a batch of " + entries.size());
      }
    }
    Settlement s = new Settlement();
    int ok = 0;
    int bad = 0;
    if (failure != null) {
      ItemWriteException shared = new ItemWriteException(name, failure, 1);
      for (Entry<T> e : entries) {
        s.fail(e, shared, failure);
      }
      bad = entries.size();
      warnings.warn("batcher '{}': the sink failed a batch of {} items: {}", name,
          entries.size(), failure.toString());
    } else {
      BatchResult r = requireNonNull(result);
      for (int i = 0; i < entries.size(); i++) {
        Entry<T> e = entries.get(i);
        if (r.outcome(i) == BatchResult.Outcome.SUCCEEDED) {
          s.succeed(e);
          ok++;
        } else {
          Throwable cause = requireNonNull(r.cause(i));
          s.fail(e, new ItemWriteException(name, cause, 1), cause);
          bad++;
        }
      }
      if (bad > 0) {
        warnings.warn("batcher '{}': the sink failed {} of {} items, first: {}", name, bad,
            entries.size(), firstCause(r));
      }
    }
    batches[flight.cause.ordinal()].increment();
    batchSizes.record(entries.size());
    s.commit();
    BatchEvent event = new BatchEvent(flight.cause, entries.size(), flight.weight, ok, bad,
        sinkNanos);
    notifyListener(() -> listener.onBatch(event));
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

  private void runMonitor() {
    while (!terminated.isDone()) {
      long now = time.nanoTime();
      long next = now + deliveryTimeoutNanos;
      for (InFlight flight : inFlight) {
        next = Math.min(next, checkInFlight(flight, now));
      }
      if (formerState.get() == IDLE && frontCount == 0) {
        // The former is parked waiting for the first item: nothing is waiting to expire.
      } else if (consumerLock.tryLock()) {
        try {
          expireWaiting(now);
          Entry<T> head = front.isEmpty() ? queue.peek() : front.peekFirst();
          if (head != null) {
            next = Math.min(next, head.acceptedAt + deliveryTimeoutNanos);
          }
        } finally {
          consumerLock.unlock();
        }
      } else {
        next = Math.min(next, now + MONITOR_RETRY_NANOS); // the former is forming or lingering
      }
      if (terminated.isDone()) {
        return;
      }
      time.parkNanos(this, next - now);
    }
  }

  /**
   * Drops the entries of an in-flight batch that passed the delivery timeout and abandons the
   * call once it is older than the timeout itself.
   *
   * @return when to look at this batch again
   */
  private long checkInFlight(InFlight flight, long now) {
    if (now - flight.dispatchedAt >= deliveryTimeoutNanos) {
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
        s.drop(e, DropReason.DELIVERY_TIMEOUT, null);
      } else {
        next = Math.min(next, e.acceptedAt + deliveryTimeoutNanos);
      }
    }
    if (s != null) {
      s.commit();
    }
    return next;
  }

  /** Gives up on a sink call: drops its items and frees its slot, replacing a stuck worker. */
  private void abandon(InFlight flight, DropReason reason) {
    if (!settle(flight)) {
      return;
    }
    Settlement s = new Settlement();
    for (Entry<T> e : flight.entries) {
      s.drop(e, reason, null);
    }
    batches[flight.cause.ordinal()].increment();
    batchSizes.record(flight.entries.size());
    Worker w = flight.worker;
    if (asyncSink == null && !w.abandoned) {
      w.abandoned = true;
      workers.remove(w);
      w.thread.interrupt();
      if (!aborted) {
        LOG.warn("batcher '{}': a sink call on {} did not return within {}; its {} items were "
            + "dropped and a new worker takes over", name, w.thread.getName(),
            Duration.ofNanos(deliveryTimeoutNanos), flight.entries.size());
        startWorker();
      }
    } else {
      warnings.warn("batcher '{}': an async sink call did not complete within {}; its {} items "
          + "were dropped", name, Duration.ofNanos(deliveryTimeoutNanos), flight.entries.size());
    }
    s.commit();
  }

  // ================================================================================= settlement

  /**
   * Collects the endings of a group of entries and applies them in one go: counters first (so a
   * test that waits on a future sees them), capacity next (so a callback that submits finds
   * room), then futures, flush epochs and the termination check.
   */
  private final class Settlement {
    private final List<Entry<T>> ended = new ArrayList<>();
    private final List<@Nullable Throwable> errors = new ArrayList<>();
    private final List<@Nullable Object> reasons = new ArrayList<>();
    private long ok;
    private long bad;
    private long[] droppedBy;
    private long weight;

    void succeed(Entry<T> e) {
      if (e.tryFinish()) {
        ok += e.count();
        add(e, null, null);
      }
    }

    void fail(Entry<T> e, Throwable error, Throwable cause) {
      if (e.tryFinish()) {
        bad += e.count();
        add(e, error, cause);
      }
    }

    void drop(Entry<T> e, DropReason reason, @Nullable DroppedItemException shared) {
      if (e.tryFinish()) {
        if (droppedBy == null) {
          droppedBy = new long[DropReason.values().length];
        }
        droppedBy[reason.ordinal()] += e.count();
        add(e, shared == null ? dropException(reason) : shared, reason);
      }
    }

    private void add(Entry<T> e, @Nullable Throwable error, @Nullable Object reason) {
      ended.add(e);
      errors.add(error);
      reasons.add(reason);
      weight += e.weight;
    }

    void commit() {
      if (ended.isEmpty()) {
        return;
      }
      long now = time.nanoTime();
      if (ok > 0) {
        succeeded.add(ok);
      }
      if (bad > 0) {
        failed.add(bad);
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
      long remaining = occupancy.addAndGet(-ended.size() * ONE_ACCEPTED) >>> 32;
      signalRoom();
      for (int i = 0; i < ended.size(); i++) {
        Entry<T> e = ended.get(i);
        latencies.record(now - e.acceptedAt);
        Throwable error = errors.get(i);
        if (error == null) {
          e.succeed();
        } else {
          e.fail(error);
        }
      }
      FlushTracker.Epoch run = null;
      long runLength = 0;
      for (Entry<T> e : ended) { // entries of one group nearly always share an epoch
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
      for (int i = 0; i < ended.size(); i++) {
        Object reason = reasons.get(i);
        if (reason == null) {
          continue;
        }
        T item = ended.get(i).item;
        if (reason instanceof DropReason) {
          DropReason r = (DropReason) reason;
          notifyListener(() -> listener.onDropped(item, r));
        } else {
          Throwable cause = (Throwable) reason;
          notifyListener(() -> listener.onFailed(item, cause));
        }
      }
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

  /** Lets producers blocked on a full queue retry; cheap when none is blocked. */
  private void signalRoom() {
    if (blockedProducers.get() > 0) {
      notFullLock.lock();
      try {
        notFull.signalAll();
      } finally {
        notFullLock.unlock();
      }
    }
  }

  /** Called after capacity was released: may end a closing batcher. */
  private void afterRelease(long remainingAccepted) {
    if (remainingAccepted == 0 && closed) {
      signalRoom();
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
    } catch (RuntimeException e) {
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
      signalRoom();
      if (accepted() == 0) {
        terminate();
      }
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

  private void joinWorkers(long deadline) {
    for (Worker w : workers) {
      long left = deadline - System.nanoTime();
      if (left <= 0 || w.thread == Thread.currentThread()) {
        continue;
      }
      try {
        w.thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
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
        s.drop(e, DropReason.CLOSE_TIMEOUT, null);
      }
      frontWeight = 0;
      frontCount = 0;
      long polled = 0;
      for (Entry<T> e; (e = queue.poll()) != null; ) {
        polled++;
        if (weigher != null) {
          queuedWeight.addAndGet(-e.weight);
        }
        if (coalescing != null && e.key != null) {
          coalescing.remove(e.key, e);
        }
        s.drop(e, DropReason.CLOSE_TIMEOUT, null);
      }
      occupancy.addAndGet(-polled * ONE_QUEUED);
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
    // derived pending count is never negative.
    long ok = succeeded.sum();
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
    long sub = submitted.sum();
    long pending = Math.max(0, sub - ok - bad - refusedTotal - droppedTotal);
    long queued = Math.max(0, (occupancy.get() & 0xFFFF_FFFFL) + frontCount);
    return new BatcherMetrics(sub, ok, bad, refusedBy, droppedBy, batchesBy, pending, queued,
        inFlightCount.get(), batchSizes.summary(), latencies.summary());
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
