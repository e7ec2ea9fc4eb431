package dev.batcher.benchmarks.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import dev.batcher.Batcher;
import dev.batcher.jdbc.Dialect;
import dev.batcher.jdbc.JdbcSink;
import dev.batcher.jdbc.WriteStrategy;
import java.sql.Connection;
import java.sql.JDBCType;
import java.sql.PreparedStatement;
import java.time.Duration;
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

/**
 * <b>Question:</b> what does a celebrity post's burst of likes cost the database: one {@code
 * UPDATE ... SET likes = likes + 1} per like, against coalescing in the batcher (likes of one post
 * merge while they wait) and one {@link WriteStrategy#COUNTER_MERGE} statement per batch?
 *
 * <p><b>Shape.</b> Likes spread evenly over {@code posts} posts (1: the celebrity, 100, 10,000).
 * {@code merged} submits {@value #LIKES} likes to a batcher with {@code coalesce(postId, sum)} and
 * a COUNTER_MERGE {@link JdbcSink}, then flushes; {@code oneByOne} sends {@value #ONE_BY_ONE_LIKES}
 * autocommitted UPDATEs (fewer, since each costs a round trip and a commit). Both scores are likes
 * per second; {@code statements} per second beside them gives statements per like.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar Counter -p database=postgres -p posts=1,100,10000
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@State(Scope.Benchmark)
public class CounterBenchmark {
  static final int LIKES = 100_000;
  static final int ONE_BY_ONE_LIKES = 2_000;

  @Param({"postgres"})
  public String database;

  @Param({"1", "100", "10000"})
  public int posts;

  /** One like (or, merged, many) for a post. */
  public record Like(long postId, long delta) {}

  private HikariDataSource ds;
  private JdbcSink<Like> sink;
  private Batcher<Like> batcher;
  private String update;
  private long next;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    ds = Databases.pool(database, false);
    Dialect dialect = Databases.dialect(database);
    String table = dialect.quote("table", "bench_counters");
    // Quoted as the sink quotes them, so H2 (which folds unquoted names to upper case) agrees.
    String postId = dialect.quote("column", "post_id");
    String likes = dialect.quote("column", "likes");
    Databases.exec(ds, "DROP TABLE IF EXISTS " + table, "CREATE TABLE " + table + " (" + postId
        + " bigint primary key, " + likes + " bigint not null)");
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement(
            "INSERT INTO " + table + " (" + postId + ", " + likes + ") VALUES (?, 0)")) {
      for (int p = 0; p < posts; p++) {
        ps.setLong(1, p);
        ps.addBatch();
      }
      ps.executeBatch();
    }
    update = "UPDATE " + table + " SET " + likes + " = " + likes + " + 1 WHERE " + postId
        + " = ?";
    sink = JdbcSink.<Like>builder(ds).dialect(dialect).table("bench_counters")
        .column("post_id", JDBCType.BIGINT, Like::postId)
        .column("likes", JDBCType.BIGINT, Like::delta)
        .keyColumns("post_id").strategy(WriteStrategy.COUNTER_MERGE).build();
    batcher = Batcher.builder(sink).name("counters").maxBatchSize(1000)
        .queueCapacity(LIKES).coalesce(Like::postId, (a, b) -> new Like(a.postId(),
            a.delta() + b.delta())).build();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    batcher.close();
    ds.close();
  }

  /** Statements sent, per second of the iteration. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  public static class Sent {
    public long statements;

    @Setup(Level.Iteration)
    public void reset() {
      statements = 0;
    }
  }

  @Benchmark
  @OperationsPerInvocation(LIKES)
  public void merged(Sent sent) {
    long before = sink.statements();
    CompletableFuture<Void> last = null;
    for (int i = 0; i < LIKES; i++) {
      last = batcher.submit(new Like(next++ % posts, 1));
    }
    batcher.flush().join();
    last.join();
    sent.statements += sink.statements() - before;
  }

  @Benchmark
  @OperationsPerInvocation(ONE_BY_ONE_LIKES)
  public void oneByOne(Sent sent) throws Exception {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(update)) {
      for (int i = 0; i < ONE_BY_ONE_LIKES; i++) {
        ps.setLong(1, next++ % posts);
        ps.executeUpdate();
      }
    }
    sent.statements += ONE_BY_ONE_LIKES;
  }
}
