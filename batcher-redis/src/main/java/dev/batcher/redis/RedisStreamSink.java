package dev.batcher.redis;

import static dev.batcher.redis.internal.Checks.requireState;
import static java.util.Objects.requireNonNull;

import dev.batcher.BatchResult;
import dev.batcher.BatchSink;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.XAddParams;

/**
 * The producer side of a durable queue on a Redis stream: a {@link BatchSink} that appends each
 * item of a batch to the stream with {@code XADD}, the whole batch as one pipeline (a {@link
 * RedisSink} underneath, one round trip per batch). Put it behind a {@code Batcher}, and the
 * future that {@code submit} returns completes once Redis has the item's entry; a {@link
 * StreamWorker} reads the entries on.
 *
 * <pre>{@code
 * RedisStreamSink<Like> toStream = RedisStreamSink.builder(jedis, "likes", codec).build();
 * try (Batcher<Like> queue = Batcher.builder(toStream).maxBatchSize(500).build()) {
 *   queue.submit(like); // completes once the entry is in Redis
 * }
 * }</pre>
 *
 * <p><b>Durable as far as Redis is.</b> "Redis has the entry" means it is in the server's memory
 * and, with {@code appendonly yes}, in its append-only file: with {@code appendfsync always} a
 * completed future survives a crash of the Redis process or of its machine; with {@code everysec}
 * (Redis's default) up to about a second of entries may be lost with the machine; without the
 * append-only file, everything since the last snapshot. Replication is asynchronous: a failover
 * may lose the newest entries unless you also use {@code WAIT}.
 *
 * <p><b>At least once.</b> A batch whose connection was lost is retried whole by the batcher, and
 * the entries Redis had already read are then appended twice (see {@link RedisSink}): the stream
 * holds every completed item at least once, so the worker's downstream sink must be idempotent,
 * as it must be anyway (it sees redeliveries after a worker crash too).
 *
 * <p>Thread-safe, as {@link RedisSink}. Items' entries are appended in batch order.
 *
 * @param <T> the item type
 */
public final class RedisStreamSink<T> implements BatchSink<T> {
  private final String stream;
  private final long maxLength;
  private final RedisSink<T> pipeline;

  private RedisStreamSink(Builder<T> b) {
    this.stream = b.stream;
    this.maxLength = b.maxLength;
    XAddParams params = XAddParams.xAddParams();
    if (b.maxLength != Builder.DEFAULT_MAX_LENGTH) {
      params.maxLen(b.maxLength).approximateTrimming();
    }
    StreamCodec<? super T> codec = b.codec;
    String key = b.stream;
    this.pipeline = RedisSink.<T>builder(b.jedis, (p, item) -> {
      Map<String, String> fields = codec.encode(item);
      if (fields == null || fields.isEmpty()) {
        throw new IllegalArgumentException("the codec encoded an item as no fields: " + fields);
      }
      return p.xadd(key, params, fields);
    }).build();
  }

  /**
   * {@return a builder for a sink that appends items to {@code stream}, encoded by {@code codec}}
   *
   * @param <T> the item type
   * @param jedis the client, usually a {@code RedisClient}; the caller owns it and closes it
   * @param stream the stream's key; created by the first {@code XADD} if absent
   * @param codec turns an item into its entry's fields
   * @throws NullPointerException if an argument is null
   */
  public static <T> Builder<T> builder(UnifiedJedis jedis, String stream,
      StreamCodec<? super T> codec) {
    return new Builder<>(requireNonNull(jedis, "jedis"), requireNonNull(stream, "stream"),
        requireNonNull(codec, "codec"));
  }

  @Override
  public BatchResult write(List<T> batch) {
    return pipeline.write(batch);
  }

  /** Always false: a pipeline is not rolled back (see {@link RedisSink#isAtomic()}). */
  @Override
  public boolean isAtomic() {
    return false;
  }

  /** {@return the stream's key} */
  public String stream() {
    return stream;
  }

  /** {@return the entries appended so far, in batches that got their replies} */
  public long commands() {
    return pipeline.commands();
  }

  /** {@return the round trips to Redis so far: one per batch} */
  public long roundTrips() {
    return pipeline.roundTrips();
  }

  @Override
  public String toString() {
    return "RedisStreamSink{" + stream
        + (maxLength == Builder.DEFAULT_MAX_LENGTH ? "" : ", MAXLEN ~ " + maxLength) + "}";
  }

  /**
   * Builds a {@link RedisStreamSink}. Options are set once each; setting one again is an {@link
   * IllegalStateException} naming the earlier value. Not thread-safe.
   *
   * @param <T> the item type
   */
  public static final class Builder<T> {
    /** Default of {@link #maxLength(long)}: {@value}, the stream is never trimmed. */
    public static final long DEFAULT_MAX_LENGTH = 0;

    private final UnifiedJedis jedis;
    private final String stream;
    private final StreamCodec<? super T> codec;
    private long maxLength = DEFAULT_MAX_LENGTH;
    private boolean maxLengthSet;

    private Builder(UnifiedJedis jedis, String stream, StreamCodec<? super T> codec) {
      this.jedis = jedis;
      this.stream = stream;
      this.codec = codec;
    }

    /**
     * Trims the stream as entries are appended ({@code XADD ... MAXLEN ~ maxLength}): Redis drops
     * the oldest entries once the stream holds about this many (a few more, "~", so that it trims
     * whole nodes cheaply). <b>Trimming does not look at consumer groups:</b> an entry trimmed
     * before a worker acknowledged it is lost (a worker that claims it gets no fields and
     * dead-letters it), so set this well above the backlog your workers may ever have. Default
     * {@value #DEFAULT_MAX_LENGTH}: no trimming; trim acknowledged entries yourself ({@code XTRIM
     * MINID}) if you want the stream to stay short.
     *
     * @param maxLength about the most entries the stream keeps
     * @return this builder
     * @throws IllegalArgumentException if not positive
     * @throws IllegalStateException if called twice
     */
    public Builder<T> maxLength(long maxLength) {
      requireState(!maxLengthSet, "maxLength was already set to %s", this.maxLength);
      if (maxLength <= 0) {
        throw new IllegalArgumentException("maxLength must be positive: " + maxLength);
      }
      this.maxLength = maxLength;
      this.maxLengthSet = true;
      return this;
    }

    /**
     * {@return the sink}
     *
     * @throws IllegalArgumentException if the client is one {@link RedisSink} does not support
     *     (see {@link RedisSink.Builder#build()}): a Redis Cluster client, or one connection
     */
    public RedisStreamSink<T> build() {
      return new RedisStreamSink<>(this);
    }
  }
}
