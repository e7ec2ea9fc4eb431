package dev.batcher.redis;

import static dev.batcher.redis.internal.Checks.requireState;
import static java.util.Objects.requireNonNull;

import dev.batcher.BatchResult;
import dev.batcher.BatchSink;
import dev.batcher.redis.internal.CommandCounts;
import dev.batcher.redis.internal.ItemReplies;
import dev.batcher.redis.internal.RedisErrors;
import java.lang.reflect.Field;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.AbstractTransaction;
import redis.clients.jedis.Connection;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.PipeliningBase;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.providers.ClusterConnectionProvider;

/**
 * A {@link BatchSink} that sends each batch to Redis as one Jedis pipeline: every item's command
 * (queued by a {@link RedisCommand}) goes out in one write and the replies come back in one read,
 * one round trip for the batch however large. Each item then ends as its own reply says, like an
 * HTTP 207 body: an error reply fails that item and no other, and a batch is never split.
 *
 * <pre>{@code
 * RedisSink<Like> sink = RedisSink.<Like>builder(jedis, // a RedisClient you own and close
 *     (p, like) -> p.hincrBy("post:" + like.postId(), "likes", 1)).build();
 * try (Batcher<Like> likes = Batcher.builder(sink).maxBatchSize(1000).build()) { ... }
 * }</pre>
 *
 * <p><b>Outcomes.</b> An error reply about the item's data ({@code WRONGTYPE}, {@code ERR value is
 * not an integer}, a bad argument) fails the item for good. An error reply about the server's
 * state ({@code LOADING}, {@code BUSY}, {@code OOM}, {@code READONLY}, {@code TRYAGAIN}, {@code
 * MASTERDOWN}, {@code CLUSTERDOWN}, {@code NOREPLICAS}, {@code MISCONF}, {@code UNBLOCKED},
 * {@code NOTREADY}) fails the item
 * retryably: the batcher sends it again after its backoff, and the items that succeeded are not
 * sent again. An access error ({@code NOAUTH}, {@code WRONGPASS}, {@code NOPERM}) fails its item
 * for good with that error: credentials do not mend between attempts a few milliseconds apart.
 * {@code MOVED}, {@code ASK} and {@code NOSCRIPT} fail their item for good, with what to do in
 * the error. A command function that throws (an {@link Error} too, but a {@link
 * VirtualMachineError} propagates after the connection is closed unsent) fails its item for good
 * with what it threw; so does one that returns a response not queued on the batch, or whose reply
 * cannot be decoded. A lost connection ({@link
 * redis.clients.jedis.exceptions.JedisConnectionException}, or no connection from the pool) fails
 * the batch as a whole, about no item, and the batcher retries it whole under its {@code
 * RetryPolicy}. Access refused while connecting, a refused MULTI (Redis then runs the commands at
 * once: the error says they may have been applied), and any other exception of the client fail
 * the batch with an exception the default classifier does not retry.
 *
 * <p><b>Not atomic.</b> A pipeline is not a transaction: when the connection is lost part-way,
 * the commands Redis had read are applied and the retried batch applies them again. That is
 * harmless for idempotent commands ({@code SET}, {@code HSET}, {@code SADD}, {@code ZADD}, {@code
 * PFADD}, {@code DEL}) and counts twice for the others ({@code INCRBY}, {@code HINCRBY}, {@code
 * LPUSH}, {@code XADD}). {@link Builder#transactional()} wraps each batch in MULTI/EXEC so that a
 * connection lost before EXEC applies nothing; a connection lost after EXEC was sent still leaves
 * the batch's fate unknown, and a retry may apply it twice. {@link #isAtomic()} is false either
 * way (Redis does not roll back a transaction whose command failed), so the batcher never splits
 * a batch of this sink.
 *
 * <p><b>The client.</b> The sink borrows one connection per batch from {@code jedis} and gives it
 * back; it never closes {@code jedis}. Use a pooled standalone or Sentinel client ({@code
 * RedisClient}, {@code RedisSentinelClient}); {@link Builder#build()} refuses Redis Cluster
 * clients and clients over one connection. Size its pool to at least the batcher's {@code
 * maxInFlightBatches}, and keep its socket timeout below the batcher's {@code deliveryTimeout}.
 *
 * <p>Thread-safe: a batcher with several batches in flight calls it from several threads, each
 * call on its own connection. Items' commands are queued in batch order, and Redis runs one
 * connection's commands in that order. {@link #commands()} and {@link #roundTrips()} count what
 * it sent.
 *
 * @param <T> the item type
 */
public final class RedisSink<T> implements BatchSink<T> {
  private static final Logger LOG = LoggerFactory.getLogger(RedisSink.class);

  private final UnifiedJedis jedis;
  private final RedisCommand<? super T> command;
  private final boolean transactional;
  private final CommandCounts counts = new CommandCounts();

  private RedisSink(Builder<T> b) {
    this.jedis = b.jedis;
    this.command = b.command;
    this.transactional = b.transactional;
  }

  /**
   * {@return a builder for a sink that sends each item's command, queued by {@code command}, to
   * {@code jedis}}
   *
   * @param <T> the item type
   * @param jedis the client, usually a {@code RedisClient}; the caller owns it and closes it
   * @param command queues one item's command and returns its response
   * @throws NullPointerException if an argument is null
   */
  public static <T> Builder<T> builder(UnifiedJedis jedis, RedisCommand<? super T> command) {
    return new Builder<>(requireNonNull(jedis, "jedis"), requireNonNull(command, "command"));
  }

  /** Always false: a pipeline is not rolled back, nor is a transaction whose command failed. */
  @Override
  public boolean isAtomic() {
    return false;
  }

  /** {@return whether each batch is sent as one MULTI/EXEC transaction} */
  public boolean isTransactional() {
    return transactional;
  }

  /**
   * {@return the items' commands sent so far, in batches that got their replies} One per item
   * whose command function returned a response (an item that queues several commands counts
   * one): "100,000 likes became N commands in M round trips" reads off this and {@link
   * #roundTrips()}.
   */
  public long commands() {
    return counts.commands();
  }

  /**
   * {@return the round trips to Redis so far} One per batch, two per transactional batch (Jedis
   * reads the commands' QUEUED replies before it sends EXEC); counted when sent, whatever the
   * answer.
   */
  public long roundTrips() {
    return counts.roundTrips();
  }

  @Override
  public BatchResult write(List<T> batch) {
    return transactional ? writeTransaction(batch) : writePipeline(batch);
  }

  private BatchResult writePipeline(List<T> batch) {
    ItemReplies replies;
    try (AbstractPipeline pipeline = jedis.pipelined()) {
      replies = queue(pipeline, batch);
      counts.roundTrips(1);
      pipeline.sync();
      counts.commands(batch.size() - replies.refusedCount());
    } catch (RuntimeException e) {
      // No connection, lost, or the client failed: about no item. Whatever was read before a
      // loss is applied and will be applied again by the retry (see the class comment).
      LOG.debug("Redis pipeline of {} items failed as a whole", batch.size(), e);
      return BatchResult.batchFailed(RedisErrors.forRetryPolicy(e, "sending a pipeline"));
    }
    return replies.outcomes();
  }

  private BatchResult writeTransaction(List<T> batch) {
    ItemReplies replies;
    try (AbstractTransaction tx = jedis.multi()) {
      replies = queue(tx, batch);
      counts.roundTrips(2);
      List<Object> results;
      try {
        results = tx.exec();
      } catch (JedisDataException e) {
        return execFailed(tx, batch.size(), e);
      }
      if (results == null) { // aborted by a WATCH: nothing applied
        return BatchResult.batchFailed(new JedisDataException(
            "EXEC answered null: the transaction was aborted, nothing was applied"));
      }
      counts.commands(batch.size() - replies.refusedCount());
    } catch (RuntimeException e) {
      // No connection, lost, or the client failed: about no item. Lost before EXEC was sent,
      // nothing is applied; lost after, the batch's fate is unknown (see the class comment).
      LOG.debug("Redis transaction of {} items failed as a whole", batch.size(), e);
      return BatchResult.batchFailed(RedisErrors.forRetryPolicy(e, "sending a transaction"));
    }
    return replies.outcomes();
  }

  /**
   * Queues the batch; when the JVM fails while doing so (a {@link VirtualMachineError}, which is
   * rethrown), the connection is closed before the pipeline's close() could send what was
   * queued and still in Jedis's buffer (see {@link #abandon}).
   */
  private ItemReplies queue(PipeliningBase commands, List<T> batch) {
    try {
      return ItemReplies.queue(commands, batch, command);
    } catch (VirtualMachineError e) {
      abandon(commands);
      throw e;
    }
  }

  /**
   * Closes the socket of {@code commands}'s connection without flushing Jedis's output buffer
   * ({@code Connection.forceDisconnect}), so that its close() finds the connection broken, sends
   * nothing more and gives it back to the pool as broken. Jedis offers no public way to reach a
   * pipeline's connection: its {@code connection} field is read reflectively (Jedis is an
   * automatic module, open to reflection); when that fails, nothing is done and close() sends
   * what was queued.
   */
  private static void abandon(Object commands) {
    try {
      Object connection = field(commands, "connection");
      if (connection instanceof Connection c) {
        c.forceDisconnect();
        return;
      }
    } catch (Exception | LinkageError e) {
      LOG.debug("could not abandon the connection of a {}", commands.getClass().getName(), e);
    }
    LOG.debug("the connection of a {} was not abandoned", commands.getClass().getName());
  }

  /** {@code name}'s value on {@code o}, from the first class up o's hierarchy that declares it. */
  private static @Nullable Object field(Object o, String name) throws ReflectiveOperationException {
    for (Class<?> c = o.getClass(); c != null; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        if (f.getName().equals(name)) {
          f.setAccessible(true);
          return f.get(o);
        }
      }
    }
    return null;
  }

  /**
   * EXEC answered an error. {@code EXECABORT}: Redis refused to queue a command of the batch and
   * discarded the transaction, nothing was applied (see {@link #execAborted}). Any other error
   * means that MULTI or EXEC itself was refused (a user without the permission: {@code NOPERM}).
   * When MULTI was refused, Redis ran each of the batch's commands at once, outside a
   * transaction, and EXEC answers {@code ERR EXEC without MULTI}: the commands may have been
   * applied and their replies are lost. Jedis does not say which of the two it was in every case
   * (a user refused both), so the sink assumes the worse: the batch fails as a whole with an
   * {@link UnsupportedOperationException} saying that its commands may have been applied, which
   * the default classifier does not retry (a retry could apply them twice), and the connection,
   * possibly still in MULTI, is closed rather than given back to the pool.
   */
  private BatchResult execFailed(AbstractTransaction tx, int size, JedisDataException e) {
    if (RedisErrors.code(e.getMessage()).equals("EXECABORT")) {
      return execAborted(size, e);
    }
    abandon(tx);
    StringBuilder refusals = new StringBuilder();
    for (Throwable refusal : e.getSuppressed()) {
      refusals.append(refusals.length() == 0 ? "" : "; ").append(refusal.getMessage());
      if (refusals.length() > 500) {
        break;
      }
    }
    LOG.debug("Redis answered EXEC of a transaction of {} items with {}", size, e.getMessage());
    return BatchResult.batchFailed(new UnsupportedOperationException("Redis answered EXEC with '"
        + e.getMessage() + "' (errors before it: " + (refusals.length() == 0 ? "none" : refusals)
        + "): MULTI or EXEC was refused; when MULTI was, Redis ran the batch's " + size
        + " commands at once, outside a transaction, so they may have been applied and their"
        + " replies are lost. Not retried, so as not to apply them twice. Let the client's user"
        + " run MULTI and EXEC, or drop transactional()", e));
  }

  /**
   * Redis refused to queue a command of the batch and discarded the transaction (EXECABORT):
   * nothing was applied. Jedis keeps the refusals as suppressed exceptions, without saying
   * whose command each was. Refusals about the server's state are retried with the batch;
   * any other fails every item for good, since the one at fault cannot be named.
   */
  private BatchResult execAborted(int size, JedisDataException e) {
    boolean retryable = true;
    for (Throwable refusal : e.getSuppressed()) {
      retryable &= RedisErrors.classify(refusal.getMessage()) == RedisErrors.Kind.RETRYABLE;
    }
    LOG.debug("Redis discarded a transaction of {} items ({})", size, e.getMessage());
    return retryable ? BatchResult.batchFailed(e) : ItemReplies.allFailed(size, e);
  }

  @Override
  public String toString() {
    return "RedisSink{" + (transactional ? "MULTI/EXEC" : "pipeline") + "}";
  }

  /**
   * Builds a {@link RedisSink}. Options are set once each; setting one again is an {@link
   * IllegalStateException} naming the earlier value. Not thread-safe.
   *
   * @param <T> the item type
   */
  public static final class Builder<T> {
    /** Default of {@link #transactional()}: {@value}, each batch is a plain pipeline. */
    public static final boolean DEFAULT_TRANSACTIONAL = false;

    private final UnifiedJedis jedis;
    private final RedisCommand<? super T> command;
    private boolean transactional = DEFAULT_TRANSACTIONAL;
    private boolean transactionalSet;

    private Builder(UnifiedJedis jedis, RedisCommand<? super T> command) {
      this.jedis = jedis;
      this.command = command;
    }

    /**
     * Sends each batch as one MULTI/EXEC transaction instead of a plain pipeline: a connection
     * lost before EXEC was sent applies nothing, so the batch can be retried safely even with
     * commands that are not idempotent ({@code INCRBY}, {@code HINCRBY}). Costs a second round
     * trip per batch. A connection lost after EXEC was sent leaves the batch's fate unknown: its
     * retry may apply it twice. Redis runs the transaction's commands one after another without
     * interleaving others, but does not roll back: an item whose command fails fails alone, the
     * others are applied. A command Redis refuses to queue (an unknown command, a wrong number of
     * arguments) discards the whole transaction; since Jedis does not say whose command it was,
     * every item of the batch then fails with that error, and nothing is applied.
     *
     * @return this builder
     * @throws IllegalStateException if called twice
     */
    public Builder<T> transactional() {
      requireState(!transactionalSet, "transactional was already set to %s", transactional);
      this.transactional = true;
      this.transactionalSet = true;
      return this;
    }

    /**
     * {@return the sink}
     *
     * @throws IllegalArgumentException if the client is one the sink does not support: a Redis
     *     Cluster client ({@code RedisClusterClient}, {@code JedisCluster}, or a {@code
     *     UnifiedJedis} over a cluster connection provider), whose pipelines split a batch over
     *     nodes and cannot run MULTI/EXEC, or a client without a connection provider (a {@code
     *     UnifiedJedis} over one connection), which cannot pipeline
     */
    @SuppressWarnings("deprecation") // JedisCluster: deprecated, and refused all the same
    public RedisSink<T> build() {
      Object provider;
      try {
        provider = field(jedis, "provider");
      } catch (ReflectiveOperationException | RuntimeException e) {
        provider = jedis; // unknown: the first write reports what the client does
      }
      if (jedis instanceof RedisClusterClient || jedis instanceof JedisCluster
          || provider instanceof ClusterConnectionProvider) {
        throw new IllegalArgumentException("RedisSink does not support Redis Cluster clients ("
            + jedis.getClass().getName() + "): a cluster pipeline splits a batch over nodes and"
            + " hides a lost node's error, and a cluster cannot run a batch's MULTI/EXEC. Use a"
            + " RedisClient on a standalone Redis (or a RedisSentinelClient)");
      }
      if (provider == null) {
        throw new IllegalArgumentException("the client (" + jedis.getClass().getName() + ") has"
            + " no connection provider, only one connection, and Jedis cannot open a pipeline"
            + " on it: use a pooled client such as RedisClient");
      }
      return new RedisSink<>(this);
    }
  }
}
