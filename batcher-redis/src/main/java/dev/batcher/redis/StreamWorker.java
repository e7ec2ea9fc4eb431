package dev.batcher.redis;

import static dev.batcher.redis.internal.Checks.requireArgument;
import static dev.batcher.redis.internal.Checks.requireState;
import static java.util.Objects.requireNonNull;

import dev.batcher.Batcher;
import dev.batcher.redis.internal.StreamCommands;
import dev.batcher.redis.internal.WorkerLoop;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import redis.clients.jedis.UnifiedJedis;

/**
 * The consumer side of a durable queue on a Redis stream: a worker in a consumer group that reads
 * entries, decodes them, submits their items to a downstream {@link Batcher} (a {@code JdbcSink},
 * say), and acknowledges ({@code XACK}) each entry only after its item was written, so that
 * accepted items survive a crashed worker.
 *
 * <pre>{@code
 * try (StreamWorker<Like> worker = StreamWorker.builder(jedis, "likes", "writers", codec, toDb)
 *     .consumer("writer-1")
 *     .build()) {
 *   ... // runs on its own thread until closed
 * }
 * }</pre>
 *
 * <p><b>Guarantees.</b> Delivery to the downstream batcher is at least once: an entry is
 * acknowledged after its item's future completed normally, or failed having been dead-lettered by
 * the downstream batcher's {@code DeadLetterHandler}; an entry whose item failed otherwise stays
 * pending and is delivered again. A worker that crashes leaves its entries pending: restarted
 * under the same {@link Builder#consumer consumer} name, it re-reads them at once; any other
 * worker claims them once idle for {@link Builder#minIdle minIdle}; either writes them again,
 * including those whose rows were committed just before the crash. With an
 * idempotent sink ({@code JdbcSink} with {@code INSERT_IGNORE} keyed on the item's id) every item
 * is therefore written effectively once.
 *
 * <p><b>Poison entries.</b> An entry that does not decode, or that was delivered more than {@link
 * Builder#maxDeliveries maxDeliveries} times, goes to the {@link StreamDeadLetterHandler} and is
 * acknowledged, so it never blocks the others.
 *
 * <p><b>Order.</b> Entries are submitted in stream order within one read; redelivered entries come
 * later, beside newer ones. Items reach the sink in the downstream batcher's order.
 *
 * <p><b>Memory.</b> At most {@link Builder#maxUnacked maxUnacked} entries are read and not yet
 * acknowledged; beyond that the worker stops reading until items finish.
 *
 * <p><b>Threads.</b> {@link Builder#build()} creates the group if absent and starts one daemon
 * thread, {@code batcher-stream-<stream>-<consumer>}. Its Redis calls borrow connections from the
 * client: its socket timeout must exceed {@link Builder#block block}. The worker does not close
 * the client nor the downstream batcher. All methods are thread-safe.
 *
 * @param <T> the item type
 */
public final class StreamWorker<T> implements AutoCloseable {
  /** How long {@link #close()} waits for the downstream batcher, in seconds: {@value}. */
  public static final long DEFAULT_CLOSE_TIMEOUT_SECONDS = 60;

  private final WorkerLoop<T> loop;
  private final Thread thread;
  private final String consumer;
  private final long blockNanos;

  private StreamWorker(WorkerLoop<T> loop, String threadName, String consumer, long blockMillis) {
    this.loop = loop;
    this.consumer = consumer;
    this.blockNanos = TimeUnit.MILLISECONDS.toNanos(blockMillis);
    this.thread = new Thread(loop, threadName);
    this.thread.setDaemon(true);
  }

  /**
   * {@return a builder for a worker of {@code group} on {@code stream} feeding {@code downstream}}
   *
   * @param <T> the item type
   * @param jedis the client, usually a {@code RedisClient}; the caller owns it and closes it
   * @param stream the stream's key; created with the group if absent
   * @param group the consumer group; created at the start of the stream if absent
   * @param codec turns an entry's fields into an item
   * @param downstream where the items go; the caller owns it, and should give it a {@code
   *     DeadLetterHandler} so that items failed for good are acknowledged, not redelivered
   * @throws NullPointerException if an argument is null
   */
  public static <T> Builder<T> builder(UnifiedJedis jedis, String stream, String group,
      StreamCodec<T> codec, Batcher<T> downstream) {
    return new Builder<>(requireNonNull(jedis, "jedis"), requireNonNull(stream, "stream"),
        requireNonNull(group, "group"), requireNonNull(codec, "codec"),
        requireNonNull(downstream, "downstream"));
  }

  /** {@return this worker's consumer name in the group} */
  public String consumer() {
    return consumer;
  }

  /** {@return the entries acknowledged so far (written, or dead-lettered)} */
  public long acked() {
    return loop.acked();
  }

  /** {@return the entries handed to the {@link StreamDeadLetterHandler} so far} */
  public long deadLettered() {
    return loop.deadLettered();
  }

  /** {@return the entries read and neither acknowledged nor given back yet} */
  public int unacked() {
    return loop.unacked();
  }

  /**
   * {@return true while the worker's thread runs} It stops after {@link #close()}, when the
   * downstream batcher was found closed (the worker cannot make progress, and leaves its entries
   * pending), or after a {@link VirtualMachineError} (see {@link #failure()}). Other failures
   * (Redis down, a codec or handler throwing) never stop it: it pauses and tries again.
   */
  public boolean isRunning() {
    return thread.isAlive();
  }

  /**
   * {@return the {@link VirtualMachineError} (an {@link OutOfMemoryError}, say) that stopped the
   * worker's thread, or null if none did} Its entries stay pending for another worker.
   */
  public @Nullable Throwable failure() {
    return loop.failure();
  }

  /**
   * Closes with a timeout of {@value #DEFAULT_CLOSE_TIMEOUT_SECONDS} s: see {@link
   * #close(Duration)}.
   */
  @Override
  public void close() {
    close(Duration.ofSeconds(DEFAULT_CLOSE_TIMEOUT_SECONDS));
  }

  /**
   * Stops reading (within {@link Builder#block block}), waits for the downstream batcher to
   * finish the items already submitted ({@code flush()}), acknowledges those written or
   * dead-lettered, and returns. Entries whose items failed or did not finish stay pending for
   * another worker. Idempotent.
   *
   * <p>Waits at most {@code timeout} for the downstream batcher: a close called on one of its
   * threads (from a {@code BatcherListener} or a future's callback) would otherwise wait for
   * itself. Called on the worker's own thread (from a {@link StreamDeadLetterHandler} or the
   * codec), it only asks the worker to stop and returns false at once. An interrupt while waiting
   * returns at once and keeps the interrupt status.
   *
   * @param timeout the longest wait for the downstream batcher and the worker's thread
   * @return true if the worker's thread ended within the timeout
   * @throws IllegalArgumentException if {@code timeout} is negative
   */
  public boolean close(Duration timeout) {
    requireNonNull(timeout, "timeout");
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("timeout must not be negative: " + timeout);
    }
    long nanos = saturatedNanos(timeout);
    loop.stop(nanos);
    if (Thread.currentThread() == thread) {
      return false; // joining itself would never return; the loop ends after this call
    }
    try {
      thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos)
          + TimeUnit.NANOSECONDS.toMillis(blockNanos)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return !thread.isAlive();
  }

  private static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE / 4;
    }
  }

  @Override
  public String toString() {
    return "StreamWorker{" + thread.getName() + "}";
  }

  /**
   * Builds and starts a {@link StreamWorker}. Options are set once each; setting one again is an
   * {@link IllegalStateException} naming the earlier value, and a value out of range an {@link
   * IllegalArgumentException} naming the option and the value. Not thread-safe.
   *
   * @param <T> the item type
   */
  public static final class Builder<T> {
    /** Default {@link #readCount(int)}: {@value}. */
    public static final int DEFAULT_READ_COUNT = 256;
    /** Default {@link #block(Duration)} in milliseconds: {@value}. */
    public static final long DEFAULT_BLOCK_MILLIS = 1_000;
    /** Default {@link #maxUnacked(int)}: {@value}. */
    public static final int DEFAULT_MAX_UNACKED = 4_096;
    /** Default {@link #minIdle(Duration)} in seconds: {@value}. */
    public static final long DEFAULT_MIN_IDLE_SECONDS = 300;
    /** Default {@link #claimInterval(Duration)} in seconds: {@value}. */
    public static final long DEFAULT_CLAIM_INTERVAL_SECONDS = 30;
    /** Default {@link #maxDeliveries(int)}: {@value}. */
    public static final int DEFAULT_MAX_DELIVERIES = 5;

    private static final long UNSET = -1;
    /** The longest minIdle and claimInterval, in milliseconds: about 146 years, in nanoseconds. */
    private static final long MAX_MILLIS = TimeUnit.NANOSECONDS.toMillis(Long.MAX_VALUE / 2);

    private final UnifiedJedis jedis;
    private final String stream;
    private final String group;
    private final StreamCodec<T> codec;
    private final Batcher<T> downstream;
    private @Nullable String consumer;
    private int readCount = (int) UNSET;
    private long blockMillis = UNSET;
    private int maxUnacked = (int) UNSET;
    private long minIdleMillis = UNSET;
    private long claimIntervalMillis = UNSET;
    private int maxDeliveries = (int) UNSET;
    private @Nullable StreamDeadLetterHandler deadLetterHandler;

    private Builder(UnifiedJedis jedis, String stream, String group, StreamCodec<T> codec,
        Batcher<T> downstream) {
      this.jedis = jedis;
      this.stream = stream;
      this.group = group;
      this.codec = codec;
      this.downstream = downstream;
    }

    /**
     * Sets this worker's consumer name in the group. Keep it stable across restarts (a host
     * name, a pod name): a worker restarted under the same name re-reads its own pending entries
     * at once, instead of waiting {@code minIdle} for a claim. Two live workers must not share a
     * name. Default: {@code worker-} and a random suffix.
     *
     * @param consumer the consumer's name
     * @return this builder
     */
    public Builder<T> consumer(String consumer) {
      requireNonNull(consumer, "consumer");
      requireState(this.consumer == null, "consumer was already set to %s", this.consumer);
      requireArgument(!consumer.isEmpty(), "consumer must not be empty: '%s'", consumer);
      this.consumer = consumer;
      return this;
    }

    /**
     * Sets the most entries one read ({@code XREADGROUP COUNT}) or claim returns. Default
     * {@value #DEFAULT_READ_COUNT}.
     *
     * @param readCount the most entries per read
     * @return this builder
     */
    public Builder<T> readCount(int readCount) {
      requireState(this.readCount == UNSET, "readCount was already set to %s", this.readCount);
      requireArgument(readCount > 0, "readCount must be positive: %s", readCount);
      this.readCount = readCount;
      return this;
    }

    /**
     * Sets how long one read waits for new entries when nothing is in flight ({@code
     * XREADGROUP BLOCK}), and so how long {@link StreamWorker#close()} may wait for a read to
     * return. Keep the client's socket timeout above it. Whole milliseconds. Default {@value
     * #DEFAULT_BLOCK_MILLIS} ms.
     *
     * @param block the longest wait of one read
     * @return this builder
     */
    public Builder<T> block(Duration block) {
      this.blockMillis = onceMillis("block", block, blockMillis, Integer.MAX_VALUE);
      return this;
    }

    /**
     * Sets the most entries read and not yet acknowledged: the bound on the worker's memory.
     * Give the downstream batcher a {@code queueCapacity} of at least this much, or its {@code
     * BLOCK} policy slows the worker instead. Default {@value #DEFAULT_MAX_UNACKED}.
     *
     * @param maxUnacked the most entries in flight
     * @return this builder
     */
    public Builder<T> maxUnacked(int maxUnacked) {
      requireState(this.maxUnacked == UNSET, "maxUnacked was already set to %s", this.maxUnacked);
      requireArgument(maxUnacked > 0, "maxUnacked must be positive: %s", maxUnacked);
      this.maxUnacked = maxUnacked;
      return this;
    }

    /**
     * Sets how long an entry must have been pending without news before a worker claims it
     * ({@code XAUTOCLAIM}): the time after which a crashed worker's entries are taken over, and
     * an entry whose item failed is tried again. Must exceed the longest time an item may take
     * in the downstream batcher (its {@code deliveryTimeout}), or entries still being written
     * are claimed and written twice. Whole milliseconds. Default {@value
     * #DEFAULT_MIN_IDLE_SECONDS} s.
     *
     * @param minIdle the idle time after which an entry is claimed
     * @return this builder
     */
    public Builder<T> minIdle(Duration minIdle) {
      this.minIdleMillis = onceMillis("minIdle", minIdle, minIdleMillis, MAX_MILLIS);
      return this;
    }

    /**
     * Sets how often the worker looks for idle entries to claim. Default {@value
     * #DEFAULT_CLAIM_INTERVAL_SECONDS} s.
     *
     * @param claimInterval the time between two claims
     * @return this builder
     */
    public Builder<T> claimInterval(Duration claimInterval) {
      this.claimIntervalMillis =
          onceMillis("claimInterval", claimInterval, claimIntervalMillis, MAX_MILLIS);
      return this;
    }

    /**
     * Sets the most deliveries of an entry: one delivered more often (its item kept failing
     * without being dead-lettered, or its workers kept crashing) goes to the dead-letter handler
     * and is acknowledged. Default {@value #DEFAULT_MAX_DELIVERIES}.
     *
     * @param maxDeliveries the most deliveries of an entry
     * @return this builder
     */
    public Builder<T> maxDeliveries(int maxDeliveries) {
      requireState(this.maxDeliveries == UNSET, "maxDeliveries was already set to %s",
          this.maxDeliveries);
      requireArgument(maxDeliveries > 0, "maxDeliveries must be positive: %s", maxDeliveries);
      this.maxDeliveries = maxDeliveries;
      return this;
    }

    /**
     * Sets the handler of poison entries. Default {@link StreamDeadLetterHandler#logging()}.
     *
     * @param deadLetterHandler receives the entries given up on
     * @return this builder
     */
    public Builder<T> deadLetterHandler(StreamDeadLetterHandler deadLetterHandler) {
      requireNonNull(deadLetterHandler, "deadLetterHandler");
      requireState(this.deadLetterHandler == null, "deadLetterHandler was already set to %s",
          this.deadLetterHandler);
      this.deadLetterHandler = deadLetterHandler;
      return this;
    }

    /**
     * Creates the group (and the stream) if absent, and starts the worker.
     *
     * @return the started worker
     * @throws redis.clients.jedis.exceptions.JedisException if Redis cannot create the group
     */
    public StreamWorker<T> build() {
      String name = consumer != null ? consumer
          : "worker-" + UUID.randomUUID().toString().substring(0, 8);
      StreamCommands redis = new StreamCommands(jedis, stream, group, name);
      redis.createGroup();
      WorkerLoop<T> loop = new WorkerLoop<>(new WorkerLoop.Settings<>(redis, codec, downstream,
          deadLetterHandler != null ? deadLetterHandler : StreamDeadLetterHandler.logging(),
          or(readCount, DEFAULT_READ_COUNT), or(blockMillis, DEFAULT_BLOCK_MILLIS),
          or(maxUnacked, DEFAULT_MAX_UNACKED),
          or(minIdleMillis, TimeUnit.SECONDS.toMillis(DEFAULT_MIN_IDLE_SECONDS)),
          TimeUnit.MILLISECONDS.toNanos(
              or(claimIntervalMillis, TimeUnit.SECONDS.toMillis(DEFAULT_CLAIM_INTERVAL_SECONDS))),
          or(maxDeliveries, DEFAULT_MAX_DELIVERIES)));
      StreamWorker<T> worker = new StreamWorker<>(loop, "batcher-stream-" + stream + "-" + name,
          name, or(blockMillis, DEFAULT_BLOCK_MILLIS));
      worker.thread.start();
      return worker;
    }

    /** {@code d} in whole milliseconds, saturated, so that a range check names the option. */
    /**
     * {@code value} in whole milliseconds, for an option set once ({@code current} is what it
     * holds, {@link #UNSET} if nothing) that must lie between 1 ms and {@code max} ms.
     */
    private static long onceMillis(String option, Duration value, long current, long max) {
      requireNonNull(value, option);
      requireState(current == UNSET, "%s was already set to %s", option,
          Duration.ofMillis(current));
      long millis = millis(value);
      requireArgument(millis > 0 && millis <= max, "%s must be between 1 ms and %s ms: %s",
          option, max, value);
      return millis;
    }

    private static long millis(Duration d) {
      try {
        return d.toMillis();
      } catch (ArithmeticException e) {
        return d.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
      }
    }

    private static int or(int value, int fallback) {
      return value == UNSET ? fallback : value;
    }

    private static long or(long value, long fallback) {
      return value == UNSET ? fallback : value;
    }
  }
}
