package dev.batcher.benchmarks.redis;

import dev.batcher.BatchResult;
import dev.batcher.Batcher;
import dev.batcher.redis.RedisSink;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;
import redis.clients.jedis.util.JedisURIHelper;

/**
 * <b>Question:</b> how many items per second reach Redis, by batch size, through the batcher's
 * {@link RedisSink} (one pipeline per batch, or one MULTI/EXEC transaction) and without the
 * batcher; and how does that compare with one command per item, each its own round trip, as a
 * hand-written loop sends them?
 *
 * <p><b>Shape.</b> One operation writes {@value #ITEMS} likes, each one {@code HINCRBY
 * <prefix>post:<id % 1000> likes 1}, so the score is items per second. HINCRBY because it is what
 * a like counter sends, and because it is not idempotent: a batch retried after a lost connection
 * counts twice unless it is a transaction, which is why docs/redis.md recommends {@code
 * transactional()} for it and why both are measured (SET would be idempotent, and show only the
 * cheaper plain pipeline). {@code mode}:
 * <ul>
 *   <li>{@code batcher}: a {@link Batcher} with {@code maxBatchSize = batchSize} over a {@link
 *       RedisSink}; the JMH thread submits the items and waits for the last future (a long
 *       maxDelay and a {@code flush()}, so batches are exactly {@code batchSize});
 *   <li>{@code raw}: the same {@link RedisSink} called directly, one {@code write} per
 *       {@code batchSize} items: what the batcher adds is the difference;
 *   <li>{@code oneByOne}: {@code RedisClient.hincrBy} per item, each borrowing a pooled connection
 *       and waiting for its reply: the baseline. {@code batchSize} and {@code transactional} do
 *       not apply (one command is atomic by itself); a run that crosses them with it measures the
 *       same baseline once per combination.
 * </ul>
 * {@code transactional} makes the sink send each batch as one MULTI/EXEC, two round trips instead
 * of one. Each trial writes under its own key prefix ({@code batcher-bench:<random>:}), checks at
 * its end that the 1,000 counters add up to every item it sent, exactly once, and deletes its
 * keys. {@code commands} and {@code roundTrips} (per second, beside the score) come from the
 * sink's counters ({@code oneByOne}: one of each per item).
 *
 * <p><b>Run</b> (Redis must be up at {@value #VARIABLE}, default {@value #DEFAULT_URL}; see
 * README):
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar RedisWrite -p mode=batcher,raw \
 *   -p transactional=false,true -p batchSize=1,10,100,1000,10000
 * java -jar benchmarks/target/benchmarks.jar RedisWrite -p mode=oneByOne -p transactional=false \
 *   -p batchSize=1
 * </pre>
 * {@code benchmarks/run-redis.sh} runs all of it in one command.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@State(Scope.Benchmark)
public class RedisWriteBenchmark {
  /** Items per operation. */
  static final int ITEMS = 10_000;
  /** Counters the likes are spread over. */
  static final int POSTS = 1_000;
  static final String VARIABLE = "BATCHER_REDIS_URL";
  static final String DEFAULT_URL = "redis://127.0.0.1:6379";

  @Param({"batcher", "raw"})
  public String mode;

  @Param({"true"})
  public boolean transactional;

  @Param({"1000"})
  public int batchSize;

  private RedisClient jedis;
  private RedisSink<Like> sink;
  private Batcher<Like> batcher;
  private final List<Like> likes = new ArrayList<>(ITEMS);
  /** The trial's key prefix: every key it writes starts with it. */
  private String prefix;
  private String[] keys;
  /** Items written so far in the trial, warm-up included: the counters must add up to it. */
  private long written;
  private long next;

  /** One like of a post. */
  public record Like(long postId, long userId) {}

  @Setup(Level.Trial)
  public void setUp() {
    if (!List.of("batcher", "raw", "oneByOne").contains(mode)) {
      throw new IllegalArgumentException("mode must be batcher, raw or oneByOne: " + mode);
    }
    jedis = client();
    prefix = "batcher-bench:" + UUID.randomUUID().toString().substring(0, 8) + ":";
    keys = new String[POSTS];
    for (int i = 0; i < POSTS; i++) {
      keys[i] = prefix + "post:" + i;
    }
    if (!mode.equals("oneByOne")) {
      RedisSink.Builder<Like> b = RedisSink.<Like>builder(jedis,
          (p, like) -> p.hincrBy(keys[(int) like.postId()], "likes", 1));
      sink = (transactional ? b.transactional() : b).build();
    }
    if (mode.equals("batcher")) {
      batcher = Batcher.builder(sink).name("bench").maxBatchSize(batchSize)
          .queueCapacity(Math.max(ITEMS, batchSize)).maxDelay(Duration.ofMinutes(10))
          .maxInFlightBatches(1).deliveryTimeout(Duration.ofMinutes(20)).build();
    }
  }

  /**
   * A pooled client on the local Redis, checked to answer: one that does not fails the trial
   * with a message naming Redis, the address tried and the variable to set.
   */
  private static RedisClient client() {
    String v = System.getenv(VARIABLE);
    String url = v == null || v.isBlank() ? DEFAULT_URL : v;
    URI uri = URI.create(url);
    ConnectionPoolConfig pool = new ConnectionPoolConfig();
    pool.setMaxTotal(4); // at least the batcher's maxInFlightBatches
    RedisClient c = RedisClient.builder().hostAndPort(uri.getHost(), uri.getPort())
        .clientConfig(DefaultJedisClientConfig.builder()
            .user(JedisURIHelper.getUser(uri)).password(JedisURIHelper.getPassword(uri))
            .database(JedisURIHelper.getDBIndex(uri))
            .connectionTimeoutMillis(2_000).socketTimeoutMillis(10_000).build())
        .poolConfig(pool).build();
    try {
      c.ping();
    } catch (JedisException e) {
      c.close();
      throw new IllegalStateException("Redis is not reachable at " + url + " (" + e.getMessage()
          + "). Start it (../shared/services.sh) or point " + VARIABLE + " at one, e.g. "
          + VARIABLE + "=" + DEFAULT_URL, e);
    }
    return c;
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    try {
      if (batcher != null) {
        batcher.close();
      }
      checkCounters();
    } finally {
      deleteKeys();
      jedis.close();
    }
  }

  /** Every item sent was counted exactly once: the 1,000 counters add up to it. */
  private void checkCounters() {
    List<Response<String>> counts = new ArrayList<>(POSTS);
    try (AbstractPipeline p = jedis.pipelined()) {
      for (String key : keys) {
        counts.add(p.hget(key, "likes"));
      }
      p.sync();
    }
    long total = 0;
    for (Response<String> count : counts) {
      String c = count.get();
      total += c == null ? 0 : Long.parseLong(c);
    }
    if (total != written) {
      throw new IllegalStateException("the counters under " + prefix + " add up to " + total
          + " likes, but " + written + " were written");
    }
  }

  private void deleteKeys() {
    String cursor = ScanParams.SCAN_POINTER_START;
    ScanParams match = new ScanParams().match(prefix + "*").count(1000);
    do {
      ScanResult<String> page = jedis.scan(cursor, match);
      if (!page.getResult().isEmpty()) {
        jedis.del(page.getResult().toArray(new String[0]));
      }
      cursor = page.getCursor();
    } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
  }

  /** What was sent, per second of the iteration. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  public static class Sent {
    public long commands;
    public long roundTrips;

    @Setup(Level.Iteration)
    public void reset() {
      commands = 0;
      roundTrips = 0;
    }
  }

  @Benchmark
  @OperationsPerInvocation(ITEMS)
  public void write(Sent sent) {
    likes.clear();
    for (int i = 0; i < ITEMS; i++) {
      long id = next++;
      likes.add(new Like(id % POSTS, id));
    }
    if (mode.equals("oneByOne")) {
      for (Like like : likes) {
        jedis.hincrBy(keys[(int) like.postId()], "likes", 1);
      }
      written += ITEMS;
      sent.commands += ITEMS;
      sent.roundTrips += ITEMS;
      return;
    }
    long commands = sink.commands();
    long trips = sink.roundTrips();
    if (mode.equals("batcher")) {
      CompletableFuture<Void> last = null;
      for (Like like : likes) {
        last = batcher.submit(like);
      }
      batcher.flush().join();
      last.join();
    } else {
      for (int i = 0; i < ITEMS; i += batchSize) {
        BatchResult r = sink.write(likes.subList(i, Math.min(ITEMS, i + batchSize)));
        if (!r.isSuccess()) {
          throw new IllegalStateException("raw write failed: " + r);
        }
      }
    }
    written += ITEMS;
    sent.commands += sink.commands() - commands;
    sent.roundTrips += sink.roundTrips() - trips;
  }
}
