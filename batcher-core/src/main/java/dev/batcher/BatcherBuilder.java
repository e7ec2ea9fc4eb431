package dev.batcher;

import static dev.batcher.Checks.requireArgument;
import static dev.batcher.Checks.requireState;
import static java.util.Objects.requireNonNull;

import dev.batcher.internal.BatcherConfig;
import dev.batcher.internal.DefaultBatcher;
import java.time.Duration;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BinaryOperator;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;

/**
 * Configures and builds a {@link Batcher}. Obtain one from {@link Batcher#builder(BatchSink)} or
 * {@link Batcher#asyncBuilder(AsyncBatchSink)}.
 *
 * <p>Each option may be set once: setting it again, or setting options that contradict each other,
 * is an {@link IllegalStateException} (at the setter, or at {@link #build()} for combinations). A
 * value out of range is an {@link IllegalArgumentException} naming the option and the value. A
 * built batcher's settings never change. Not thread-safe; the batchers it builds are.
 *
 * @param <T> the item type
 */
public final class BatcherBuilder<T> {

  /** Default {@link #maxBatchSize(int)}: {@value}. */
  public static final int DEFAULT_MAX_BATCH_SIZE = 512;
  /** Default {@link #queueCapacity(int)}: {@value}. */
  public static final int DEFAULT_QUEUE_CAPACITY = 8_192;
  /** Default {@link #maxDelay(Duration)} in milliseconds: {@value} (natural batching). */
  public static final long DEFAULT_MAX_DELAY_MILLIS = 0;
  /** Default {@link #maxDelayJitter(double)}: {@value}. */
  public static final double DEFAULT_MAX_DELAY_JITTER = 0.1;
  /** Default {@link #maxInFlightBatches(int)}: {@value}. */
  public static final int DEFAULT_MAX_IN_FLIGHT_BATCHES = 1;
  /** Default {@link #deliveryTimeout(Duration)} in seconds: {@value}. */
  public static final long DEFAULT_DELIVERY_TIMEOUT_SECONDS = 120;
  /** Default {@link #blockTimeout(Duration)} in seconds: {@value}. */
  public static final long DEFAULT_BLOCK_TIMEOUT_SECONDS = 10;
  /** Default {@link #overflow(OverflowPolicy)}: {@link OverflowPolicy#BLOCK}. */
  public static final OverflowPolicy DEFAULT_OVERFLOW = OverflowPolicy.BLOCK;

  private static final int UNSET_INT = -1;
  private static final long UNSET_LONG = -1;
  /**
   * Numbers the batchers built without a name, across the JVM. Only the atomic increment's
   * uniqueness is relied on; no other state is ordered by it.
   */
  private static final AtomicInteger UNNAMED = new AtomicInteger();

  private final @Nullable BatchSink<T> sink;
  private final @Nullable AsyncBatchSink<T> asyncSink;

  private int maxBatchSize = UNSET_INT;
  private long maxBatchWeight = UNSET_LONG;
  private long queueCapacityWeight = UNSET_LONG;
  private @Nullable ToLongFunction<? super T> weigher;
  private long maxDelayNanos = UNSET_LONG;
  private double maxDelayJitter = Double.NaN;
  private int queueCapacity = UNSET_INT;
  private @Nullable OverflowPolicy overflow;
  private long blockTimeoutNanos = UNSET_LONG;
  private int maxInFlightBatches = UNSET_INT;
  private long deliveryTimeoutNanos = UNSET_LONG;
  private @Nullable Function<? super T, ?> coalesceKey;
  private @Nullable BinaryOperator<T> coalesceMerge;
  private @Nullable BatcherListener<? super T> listener;
  private @Nullable String name;
  private @Nullable ThreadFactory threadFactory;
  private @Nullable TimeSource timeSource;
  private @Nullable RetryPolicy retryPolicy;
  private @Nullable DeadLetterHandler<T> deadLetterHandler;
  private @Nullable Function<? super T, ?> idFunction;

  private BatcherBuilder(@Nullable BatchSink<T> sink, @Nullable AsyncBatchSink<T> asyncSink) {
    this.sink = sink;
    this.asyncSink = asyncSink;
  }

  static <T> BatcherBuilder<T> forSink(BatchSink<T> sink) {
    return new BatcherBuilder<>(requireNonNull(sink, "sink"), null);
  }

  static <T> BatcherBuilder<T> forAsyncSink(AsyncBatchSink<T> sink) {
    return new BatcherBuilder<>(null, requireNonNull(sink, "sink"));
  }

  /**
   * Sets the most items one batch may hold; a batch is sent as soon as it has this many. Must not
   * exceed {@link #queueCapacity(int) queueCapacity} (checked at {@link #build()}, since a batch
   * is formed from accepted items). Default {@value #DEFAULT_MAX_BATCH_SIZE}.
   *
   * @param maxBatchSize the most items per batch
   * @return this builder
   * @throws IllegalArgumentException if not positive
   */
  public BatcherBuilder<T> maxBatchSize(int maxBatchSize) {
    requireState(this.maxBatchSize == UNSET_INT, "maxBatchSize was already set to %s",
        this.maxBatchSize);
    requireArgument(maxBatchSize > 0, "maxBatchSize must be positive: %s", maxBatchSize);
    this.maxBatchSize = maxBatchSize;
    return this;
  }

  /**
   * Sets how an item is weighed (in bytes, rows, or any unit) for {@link #maxBatchWeight} and
   * {@link #queueCapacityWeight}. It is called once per item, on the producer's thread, and must
   * return a weight of zero or more. If it throws, or returns a negative weight, the item is
   * refused: its future fails with a {@link RejectedItemException} ({@link
   * RefusalReason#WEIGHER_FAILED}) whose cause is the exception, and the refusal is counted. No
   * default: without a weigher, items have no weight.
   *
   * @param weigher the weight of an item, zero or more
   * @return this builder
   */
  public BatcherBuilder<T> weigher(ToLongFunction<? super T> weigher) {
    requireState(this.weigher == null, "weigher was already set to %s", this.weigher);
    this.weigher = requireNonNull(weigher, "weigher");
    return this;
  }

  /**
   * Sets the most total weight one batch may hold; a batch is sent as soon as it reaches it, or
   * when the next item would pass it. An item heavier than this is refused at submit. Requires a
   * {@link #weigher}; no default (no weight bound).
   *
   * @param maxBatchWeight the most total weight per batch
   * @return this builder
   * @throws IllegalArgumentException if not positive
   */
  public BatcherBuilder<T> maxBatchWeight(long maxBatchWeight) {
    requireState(this.maxBatchWeight == UNSET_LONG, "maxBatchWeight was already set to %s",
        this.maxBatchWeight);
    requireArgument(maxBatchWeight > 0, "maxBatchWeight must be positive: %s", maxBatchWeight);
    this.maxBatchWeight = maxBatchWeight;
    return this;
  }

  /**
   * Sets the most total weight of accepted-but-unfinished items; past it the {@link
   * #overflow(OverflowPolicy) overflow policy} applies, as for {@link #queueCapacity} (under
   * {@code FAIL} the item is refused as {@link RefusalReason#QUEUE_FULL}). A total that would pass
   * {@code Long.MAX_VALUE} is past it too, whatever the setting. Requires a {@link #weigher}; no
   * default (only the item count is bounded).
   *
   * @param queueCapacityWeight the most total weight accepted and unfinished
   * @return this builder
   * @throws IllegalArgumentException if not positive
   */
  public BatcherBuilder<T> queueCapacityWeight(long queueCapacityWeight) {
    requireState(this.queueCapacityWeight == UNSET_LONG,
        "queueCapacityWeight was already set to %s", this.queueCapacityWeight);
    requireArgument(queueCapacityWeight > 0, "queueCapacityWeight must be positive: %s",
        queueCapacityWeight);
    this.queueCapacityWeight = queueCapacityWeight;
    return this;
  }

  /**
   * Sets how long the oldest waiting item may wait for its batch to fill before the batch is sent
   * anyway (while the sink has a free slot). Zero is natural batching: whatever is
   * waiting goes out as soon as a sink slot is free, so a lone item leaves at once and a burst
   * forms large batches by itself. One exception keeps batches from shrinking to slivers under
   * sustained load: a worker that has not found the queue empty for 200 µs lets each batch that
   * is not full fill for at most 50 µs of real time (never more than half the
   * {@linkplain #deliveryTimeout delivery timeout}), whatever the {@linkplain #timeSource time
   * source}. Default {@value #DEFAULT_MAX_DELAY_MILLIS} ms.
   *
   * @param maxDelay the longest wait for a batch to fill; zero for natural batching
   * @return this builder
   * @throws IllegalArgumentException if negative
   */
  public BatcherBuilder<T> maxDelay(Duration maxDelay) {
    requireNonNull(maxDelay, "maxDelay");
    requireState(this.maxDelayNanos == UNSET_LONG, "maxDelay was already set to %s",
        Duration.ofNanos(this.maxDelayNanos));
    requireArgument(!maxDelay.isNegative(), "maxDelay must not be negative: %s", maxDelay);
    this.maxDelayNanos = toNanos(maxDelay);
    return this;
  }

  /**
   * Sets the maxDelay jitter: each batch's {@link #maxDelay(Duration) maxDelay} is lengthened by a
   * random fraction of {@code maxDelay} between 0 and this, drawn once per batch, so that many
   * instances started together do not flush in lockstep. Between 0 and 1; default {@value
   * #DEFAULT_MAX_DELAY_JITTER}. Has no effect when {@code maxDelay} is zero. (Not to be confused
   * with {@link RetryPolicy.Builder#backoffJitter}, which shortens retry backoffs.)
   *
   * @param maxDelayJitter the most a maxDelay is lengthened by, as a fraction of it
   * @return this builder
   * @throws IllegalArgumentException if outside [0, 1]
   */
  public BatcherBuilder<T> maxDelayJitter(double maxDelayJitter) {
    requireState(Double.isNaN(this.maxDelayJitter), "maxDelayJitter was already set to %s",
        this.maxDelayJitter);
    requireArgument(maxDelayJitter >= 0 && maxDelayJitter <= 1,
        "maxDelayJitter must be between 0 and 1: %s", maxDelayJitter);
    this.maxDelayJitter = maxDelayJitter;
    return this;
  }

  /**
   * Sets the most accepted-but-unfinished items (waiting, in a batch in flight): a hard bound on
   * memory. Past it the {@link #overflow(OverflowPolicy) overflow policy} applies. Must be at least
   * {@code maxBatchSize} (checked at {@link #build()}). Default {@value #DEFAULT_QUEUE_CAPACITY}.
   *
   * @param queueCapacity the most items accepted and unfinished
   * @return this builder
   * @throws IllegalArgumentException if not positive
   */
  public BatcherBuilder<T> queueCapacity(int queueCapacity) {
    requireState(this.queueCapacity == UNSET_INT, "queueCapacity was already set to %s",
        this.queueCapacity);
    requireArgument(queueCapacity > 0, "queueCapacity must be positive: %s", queueCapacity);
    this.queueCapacity = queueCapacity;
    return this;
  }

  /**
   * Sets what a full queue does to a new item. Default {@link OverflowPolicy#BLOCK}.
   *
   * @param overflow the policy for a full queue
   * @return this builder
   */
  public BatcherBuilder<T> overflow(OverflowPolicy overflow) {
    requireNonNull(overflow, "overflow");
    requireState(this.overflow == null, "overflow was already set to %s", this.overflow);
    this.overflow = overflow;
    return this;
  }

  /**
   * Sets how long {@link OverflowPolicy#BLOCK} waits for room before refusing the item. Only with
   * {@code BLOCK}. Default {@value #DEFAULT_BLOCK_TIMEOUT_SECONDS} s.
   *
   * @param blockTimeout the longest wait for room
   * @return this builder
   * @throws IllegalArgumentException if not positive
   */
  public BatcherBuilder<T> blockTimeout(Duration blockTimeout) {
    requireNonNull(blockTimeout, "blockTimeout");
    requireState(this.blockTimeoutNanos == UNSET_LONG, "blockTimeout was already set to %s",
        Duration.ofNanos(this.blockTimeoutNanos));
    requireArgument(!blockTimeout.isNegative() && !blockTimeout.isZero(),
        "blockTimeout must be positive: %s", blockTimeout);
    this.blockTimeoutNanos = toNanos(blockTimeout);
    return this;
  }

  /**
   * Sets the most sink calls under way at once. With 1, the default, batches reach the sink one at
   * a time in acceptance order; with more, a blocking sink gets that many worker threads (an async
   * sink that many outstanding stages) and batches may complete in any order. Default {@value
   * #DEFAULT_MAX_IN_FLIGHT_BATCHES}.
   *
   * <p>The bound counts the calls the batcher waits for. A call that hangs past {@link
   * #deliveryTimeout(Duration) deliveryTimeout} is abandoned: its items are dropped, its worker is
   * interrupted and replaced, and its slot goes to the next batch, so for as long as the abandoned
   * call ignores the interrupt it runs beside up to {@code maxInFlightBatches} new ones (and, with
   * 1, out of order with them). {@link BatcherMetrics#abandonedCallsRunning()} counts such calls;
   * set the destination's own timeouts below the delivery timeout so that they end.
   *
   * @param maxInFlightBatches the most sink calls at once
   * @return this builder
   * @throws IllegalArgumentException if not positive
   */
  public BatcherBuilder<T> maxInFlightBatches(int maxInFlightBatches) {
    requireState(this.maxInFlightBatches == UNSET_INT, "maxInFlightBatches was already set to %s",
        this.maxInFlightBatches);
    requireArgument(maxInFlightBatches > 0, "maxInFlightBatches must be positive: %s",
        maxInFlightBatches);
    this.maxInFlightBatches = maxInFlightBatches;
    return this;
  }

  /**
   * Sets the bound on an accepted item's life: its future completes within this time of its
   * acceptance, one way or another; an item not finished by then is dropped with {@link
   * DropReason#DELIVERY_TIMEOUT}, and a sink call older than this is abandoned. Must exceed the
   * longest wait for a batch to fill, {@code maxDelay × (1 + maxDelayJitter)}. Default {@value
   * #DEFAULT_DELIVERY_TIMEOUT_SECONDS} s. This and the other durations are clamped to about 4.5
   * years ({@code Long.MAX_VALUE / 64} ns): a maxDelay and a deliveryTimeout both longer than that
   * are equal, and refused by {@link #build()}.
   *
   * @param deliveryTimeout the longest life of an accepted item
   * @return this builder
   * @throws IllegalArgumentException if not positive
   */
  public BatcherBuilder<T> deliveryTimeout(Duration deliveryTimeout) {
    requireNonNull(deliveryTimeout, "deliveryTimeout");
    requireState(this.deliveryTimeoutNanos == UNSET_LONG,
        "deliveryTimeout was already set to %s", Duration.ofNanos(this.deliveryTimeoutNanos));
    requireArgument(!deliveryTimeout.isNegative() && !deliveryTimeout.isZero(),
        "deliveryTimeout must be positive: %s", deliveryTimeout);
    this.deliveryTimeoutNanos = toNanos(deliveryTimeout);
    return this;
  }

  /**
   * Merges items with equal keys while they wait: an item whose key is already waiting is merged
   * into the waiting one at once with {@code merge.apply(waiting, incoming)}, so a batch holds at
   * most one item per key, and {@code queueCapacity} and {@code maxBatchSize} count distinct keys.
   * Each submitted item's future completes with the merged item's outcome. A hundred thousand
   * {@code +1} likes of one post arriving within one maxDelay become one {@code +100000} write.
   *
   * <p>Both functions run on the producer's thread, under a lock on the key's hash bin: they must
   * be fast and side-effect free. Keys must have consistent {@code equals}/{@code hashCode}. Not
   * combinable with a {@link #weigher} (a merge would change a weight already counted). An item
   * whose key is null is not coalesced. If {@code key} or {@code merge} throws, the item is
   * refused: its future fails with a {@link RejectedItemException} ({@link
   * RefusalReason#MERGE_FAILED}) whose cause is the exception, and the refusal is counted.
   *
   * @param key the key items are merged by
   * @param merge merges an incoming item into the waiting one with the same key
   * @return this builder
   */
  public BatcherBuilder<T> coalesce(Function<? super T, ?> key, BinaryOperator<T> merge) {
    requireNonNull(key, "key");
    requireNonNull(merge, "merge");
    requireState(this.coalesceKey == null, "coalesce was already set to key %s",
        this.coalesceKey);
    this.coalesceKey = key;
    this.coalesceMerge = merge;
    return this;
  }

  private BatcherListener<T> listenerOrNoop() {
    @SuppressWarnings("unchecked")
    BatcherListener<T> l = (BatcherListener<T>) (listener == null ? NOOP : listener);
    return l;
  }

  private static final BatcherListener<Object> NOOP = new BatcherListener<>() {};

  /**
   * Sets the listener that receives batch, refusal, drop and failure events. Default none.
   *
   * @param listener the receiver of the events
   * @return this builder
   */
  public BatcherBuilder<T> listener(BatcherListener<? super T> listener) {
    requireNonNull(listener, "listener");
    requireState(this.listener == null, "listener was already set to %s", this.listener);
    this.listener = listener;
    return this;
  }

  /**
   * Sets the name used in thread names ({@code batcher-<name>-flush-1}), logs and exception
   * messages. Default {@code unnamed-<n>}.
   *
   * @param name the batcher's name
   * @return this builder
   * @throws IllegalArgumentException if blank
   */
  public BatcherBuilder<T> name(String name) {
    requireNonNull(name, "name");
    requireState(this.name == null, "name was already set to %s", this.name);
    requireArgument(!name.isBlank(), "name must not be blank: '%s'", name);
    this.name = name;
    return this;
  }

  /**
   * Sets the factory for the worker and monitor threads; the batcher names each thread it gets.
   * Default: daemon platform threads. A virtual-thread factory works too.
   *
   * @param threadFactory where the worker and monitor threads come from
   * @return this builder
   */
  public BatcherBuilder<T> threadFactory(ThreadFactory threadFactory) {
    requireNonNull(threadFactory, "threadFactory");
    requireState(this.threadFactory == null, "threadFactory was already set to %s",
        this.threadFactory);
    this.threadFactory = threadFactory;
    return this;
  }

  /**
   * Sets when failed items are tried again. Default {@link RetryPolicy#defaults()}: {@value
   * RetryPolicy#DEFAULT_MAX_ATTEMPTS} attempts with exponential backoff and full backoff jitter.
   * See
   * {@code docs/failures.md} for the whole failure model.
   *
   * @param retryPolicy when and how often failed items are tried again
   * @return this builder
   */
  public BatcherBuilder<T> retryPolicy(RetryPolicy retryPolicy) {
    requireNonNull(retryPolicy, "retryPolicy");
    requireState(this.retryPolicy == null, "retryPolicy was already set to %s",
        this.retryPolicy);
    this.retryPolicy = retryPolicy;
    return this;
  }

  /**
   * Sets the handler that receives items the batcher gave up on: failed permanently, or out of
   * retries. Default none: such items only fail their futures.
   *
   * @param deadLetterHandler the receiver of the items given up on
   * @return this builder
   */
  public BatcherBuilder<T> deadLetterHandler(DeadLetterHandler<T> deadLetterHandler) {
    requireNonNull(deadLetterHandler, "deadLetterHandler");
    requireState(this.deadLetterHandler == null, "deadLetterHandler was already set to %s",
        this.deadLetterHandler);
    this.deadLetterHandler = deadLetterHandler;
    return this;
  }

  /**
   * Sets how to name an item in logs and dead letters (an order id, a like's post and user). Runs
   * only on failure paths. Default none: failure logs then give counts and causes, not items.
   *
   * @param idFunction an item's name in logs and dead letters
   * @return this builder
   */
  public BatcherBuilder<T> idFunction(Function<? super T, ?> idFunction) {
    requireNonNull(idFunction, "idFunction");
    requireState(this.idFunction == null, "idFunction was already set to %s", this.idFunction);
    this.idFunction = idFunction;
    return this;
  }

  /**
   * Sets the clock, for tests. Default {@link TimeSource#system()}.
   *
   * @param timeSource the clock
   * @return this builder
   */
  public BatcherBuilder<T> timeSource(TimeSource timeSource) {
    requireNonNull(timeSource, "timeSource");
    requireState(this.timeSource == null, "timeSource was already set to %s", this.timeSource);
    this.timeSource = timeSource;
    return this;
  }

  /**
   * Checks the combination of options and starts a batcher with them.
   *
   * @return the started batcher
   * @throws IllegalStateException if options contradict each other
   */
  public Batcher<T> build() {
    return new DefaultBatcher<>(config());
  }

  // Visible for testing
  BatcherConfig<T> config() {
    int batchSize = maxBatchSize == UNSET_INT ? DEFAULT_MAX_BATCH_SIZE : maxBatchSize;
    int capacity = queueCapacity == UNSET_INT ? DEFAULT_QUEUE_CAPACITY : queueCapacity;
    long delay = maxDelayNanos == UNSET_LONG
        ? TimeUnit.MILLISECONDS.toNanos(DEFAULT_MAX_DELAY_MILLIS) : maxDelayNanos;
    double jit = Double.isNaN(maxDelayJitter) ? DEFAULT_MAX_DELAY_JITTER : maxDelayJitter;
    OverflowPolicy policy = overflow == null ? DEFAULT_OVERFLOW : overflow;
    long delivery = deliveryTimeoutNanos == UNSET_LONG
        ? TimeUnit.SECONDS.toNanos(DEFAULT_DELIVERY_TIMEOUT_SECONDS) : deliveryTimeoutNanos;
    long block = blockTimeoutNanos == UNSET_LONG
        ? TimeUnit.SECONDS.toNanos(DEFAULT_BLOCK_TIMEOUT_SECONDS) : blockTimeoutNanos;

    requireState(batchSize <= capacity, "maxBatchSize (%s) must not exceed queueCapacity (%s)",
        batchSize, capacity);
    requireState(blockTimeoutNanos == UNSET_LONG || policy == OverflowPolicy.BLOCK,
        "blockTimeout (%s) applies only to overflow BLOCK, but overflow is %s",
        Duration.ofNanos(blockTimeoutNanos), policy);
    requireState(weigher != null || maxBatchWeight == UNSET_LONG,
        "maxBatchWeight (%s) needs a weigher", maxBatchWeight);
    requireState(weigher != null || queueCapacityWeight == UNSET_LONG,
        "queueCapacityWeight (%s) needs a weigher", queueCapacityWeight);
    requireState(weigher == null || maxBatchWeight != UNSET_LONG
            || queueCapacityWeight != UNSET_LONG,
        "weigher is set but neither maxBatchWeight nor queueCapacityWeight is");
    requireState(maxBatchWeight == UNSET_LONG || queueCapacityWeight == UNSET_LONG
            || maxBatchWeight <= queueCapacityWeight,
        "maxBatchWeight (%s) must not exceed queueCapacityWeight (%s)", maxBatchWeight,
        queueCapacityWeight);
    requireState(coalesceKey == null || weigher == null,
        "coalesce cannot be combined with a weigher (%s)", weigher);
    long longestDelay = delay + (long) (delay * jit);
    requireState(delivery > longestDelay,
        "deliveryTimeout (%s) must exceed maxDelay (%s) x (1 + maxDelayJitter %s)%s",
        Duration.ofNanos(delivery), Duration.ofNanos(delay), jit,
        delivery == Durations.MAX_NANOS
            ? "; durations longer than " + Durations.MAX + " are clamped to it, the longest "
                + "supported, so set a maxDelay well below that"
            : "");

    String n = name == null ? "unnamed-" + UNNAMED.incrementAndGet() : name;
    return new BatcherConfig<>(
        sink,
        asyncSink,
        n,
        batchSize,
        maxBatchWeight == UNSET_LONG ? Long.MAX_VALUE : maxBatchWeight,
        queueCapacityWeight == UNSET_LONG ? Long.MAX_VALUE : queueCapacityWeight,
        weigher,
        delay,
        jit,
        capacity,
        policy,
        block,
        maxInFlightBatches == UNSET_INT ? DEFAULT_MAX_IN_FLIGHT_BATCHES : maxInFlightBatches,
        delivery,
        coalesceKey,
        coalesceMerge,
        listenerOrNoop(),
        threadFactory == null ? defaultThreadFactory() : threadFactory,
        timeSource == null ? TimeSource.system() : timeSource,
        retryPolicy == null ? RetryPolicy.defaults() : retryPolicy,
        deadLetterHandler,
        idFunction,
        sink != null ? sink.isAtomic() : requireNonNull(asyncSink).isAtomic());
  }

  private static ThreadFactory defaultThreadFactory() {
    return runnable -> {
      Thread thread = new Thread(runnable);
      thread.setDaemon(true);
      return thread;
    };
  }

  /** Durations longer than about 4.5 years are clamped (see {@link Durations}). */
  private static long toNanos(Duration duration) {
    return Durations.clampedNanos(duration);
  }
}
