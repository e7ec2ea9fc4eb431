package dev.batcher.benchmarks.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import dev.batcher.BatchResult;
import dev.batcher.Batcher;
import dev.batcher.jdbc.Dialect;
import dev.batcher.jdbc.JdbcSink;
import dev.batcher.jdbc.WriteStrategy;
import java.sql.Connection;
import java.sql.JDBCType;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
 * <b>Question:</b> how many rows per second reach a table, by strategy and batch size, through
 * the batcher and without it; and how does that compare with one INSERT per row and with pgjdbc's
 * rewritten JDBC batch (what a Spring {@code batchUpdate} user gets)?
 *
 * <p><b>Shape.</b> One operation writes {@value #ROWS} rows of a 4-column table ({@code id bigint,
 * post_id bigint, user_id bigint, note text}), so the score is rows per second. {@code mode}:
 * <ul>
 *   <li>{@code batcher}: a {@link Batcher} with {@code maxBatchSize = batchSize} over a {@link
 *       JdbcSink} of {@code strategy}; the JMH thread submits the rows and waits for the last
 *       future (a long maxDelay and a {@code flush()}, so batches are exactly {@code batchSize});
 *   <li>{@code raw}: the same {@link JdbcSink} called directly, one {@code write} per
 *       {@code batchSize} rows: what the batcher adds is the difference;
 *   <li>{@code rewrite}: plain JDBC, {@code addBatch} per row and {@code executeBatch} + commit per
 *       {@code batchSize}, on a pgjdbc connection with {@code reWriteBatchedInserts=true}
 *       (PostgreSQL only; other databases: their driver's default batch);
 *   <li>{@code autocommit}: one INSERT per row, autocommit: the baseline (strategy and batch size
 *       do not apply).
 * </ul>
 * {@code strategy} is any but {@code COUNTER_MERGE} (its items are deltas, measured by {@code
 * CounterBenchmark}); {@code UPSERT} and {@code INSERT_IGNORE} get {@code id} as their key, and
 * every row is a new key. The table is truncated before each iteration. {@code inFlight} sets the batcher's {@code
 * maxInFlightBatches}: 2 lets one batch travel while the previous one commits; in {@code rewrite} mode it
 * is the number of connections sending batches side by side. {@code statements} and {@code roundTrips} (per
 * second, beside the score) come from the sink's counters.
 *
 * <p><b>Run</b> (PostgreSQL and MariaDB must be up; see README):
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar JdbcWrite -p database=postgres \
 *   -p strategy=MULTI_ROW,UNNEST,COPY -p batchSize=1,10,100,1000,10000 -p mode=batcher,raw
 * java -jar benchmarks/target/benchmarks.jar JdbcWrite -p database=postgres -p mode=autocommit \
 *   -p strategy=ONE_BY_ONE -p batchSize=1
 * java -jar benchmarks/target/benchmarks.jar JdbcWrite -p database=postgres -p mode=rewrite \
 *   -p strategy=JDBC_BATCH -p batchSize=1000
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@State(Scope.Benchmark)
public class JdbcWriteBenchmark {
  /** Rows per operation. */
  static final int ROWS = 10_000;

  @Param({"postgres"})
  public String database;

  @Param({"batcher", "raw"})
  public String mode;

  @Param({"MULTI_ROW"})
  public String strategy;

  @Param({"1000"})
  public int batchSize;

  /**
   * Batches in flight at once, each on its own pooled connection: the batcher's {@code
   * maxInFlightBatches} ({@code batcher} mode), or as many threads sending the rewrite baseline's
   * batches side by side ({@code rewrite} mode), so the two compare like for like. Ignored by
   * {@code raw} and {@code autocommit}.
   */
  @Param({"1"})
  public int inFlight;

  private HikariDataSource ds;
  private JdbcSink<Row> sink;
  private Batcher<Row> batcher;
  /** The threads of the rewrite baseline on several connections ({@code inFlight} above 1). */
  private ExecutorService connections;
  private final List<Row> rows = new ArrayList<>(ROWS);
  private String insert;

  /** One like, as written. */
  public record Row(long id, long postId, long userId, String note) {}

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    ds = Databases.pool(database, mode.equals("rewrite"));
    Dialect dialect = Databases.dialect(database);
    String table = dialect.quote("table", "bench_rows");
    // Quoted as the sink quotes them, so H2 (which folds unquoted names to upper case) agrees.
    String id = dialect.quote("column", "id");
    String postId = dialect.quote("column", "post_id");
    String userId = dialect.quote("column", "user_id");
    String note = dialect.quote("column", "note");
    Databases.exec(ds, "DROP TABLE IF EXISTS " + table, "CREATE TABLE " + table + " (" + id
        + " bigint primary key, " + postId + " bigint not null, " + userId + " bigint not null, "
        + note + " varchar(64))");
    insert = "INSERT INTO " + table + " (" + id + ", " + postId + ", " + userId + ", " + note
        + ") VALUES (?, ?, ?, ?)";
    if (mode.equals("batcher") || mode.equals("raw")) {
      JdbcSink.Builder<Row> b = JdbcSink.<Row>builder(ds).dialect(dialect).table("bench_rows")
          .column("id", JDBCType.BIGINT, Row::id)
          .column("post_id", JDBCType.BIGINT, Row::postId)
          .column("user_id", JDBCType.BIGINT, Row::userId)
          .column("note", JDBCType.VARCHAR, Row::note);
      if (keyed(WriteStrategy.valueOf(strategy))) {
        b.keyColumns("id"); // every row a new key: the upsert or insert-ignore inserts it
      }
      sink = b.strategy(WriteStrategy.valueOf(strategy)).build();
    }
    if (mode.equals("rewrite") && inFlight > 1) {
      connections = Executors.newFixedThreadPool(inFlight);
    }
    if (mode.equals("batcher")) {
      batcher = Batcher.builder(sink).name("bench").maxBatchSize(batchSize)
          .queueCapacity(Math.max(ROWS, batchSize)).maxDelay(Duration.ofMinutes(10))
          .maxInFlightBatches(inFlight)
          .deliveryTimeout(Duration.ofMinutes(20)).build();
    }
  }

  /** UPSERT and INSERT_IGNORE match rows by key; COUNTER_MERGE runs in CounterBenchmark. */
  private static boolean keyed(WriteStrategy s) {
    return s == WriteStrategy.UPSERT || s == WriteStrategy.INSERT_IGNORE;
  }

  @Setup(Level.Iteration)
  public void truncate() throws Exception {
    // TRUNCATE, not DELETE: every iteration starts on an empty table and index, not on the
    // dead rows of the last one (which slow the bulk strategies more than the baseline).
    Databases.exec(ds,
        "TRUNCATE TABLE " + Databases.dialect(database).quote("table", "bench_rows"));
    next = 0;
  }

  private long next;

  @TearDown(Level.Trial)
  public void tearDown() {
    if (batcher != null) {
      batcher.close();
    }
    if (connections != null) {
      connections.shutdown();
    }
    ds.close();
  }

  /** What the sink sent, per second of the iteration. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  public static class Sent {
    public long statements;
    public long roundTrips;

    @Setup(Level.Iteration)
    public void reset() {
      statements = 0;
      roundTrips = 0;
    }
  }

  @Benchmark
  @OperationsPerInvocation(ROWS)
  public void write(Sent sent) throws Exception {
    rows.clear();
    for (int i = 0; i < ROWS; i++) {
      long id = next++;
      rows.add(new Row(id, id % 1000, id, "like " + id));
    }
    long statements = sink == null ? 0 : sink.statements();
    long trips = sink == null ? 0 : sink.roundTrips();
    switch (mode) {
      case "batcher": {
        CompletableFuture<Void> last = null;
        for (Row r : rows) {
          last = batcher.submit(r);
        }
        batcher.flush().join();
        last.join();
        break;
      }
      case "raw":
        for (int i = 0; i < ROWS; i += batchSize) {
          BatchResult r = sink.write(rows.subList(i, Math.min(ROWS, i + batchSize)));
          if (!r.isSuccess()) {
            throw new IllegalStateException("raw write failed: " + r);
          }
        }
        break;
      case "rewrite":
        if (connections == null) {
          jdbcBatches(rows, false);
        } else {
          rewriteOnConnections();
        }
        sent.statements += ROWS;
        sent.roundTrips += 2L * ((ROWS + batchSize - 1) / batchSize);
        return;
      case "autocommit":
        jdbcBatches(rows, true);
        sent.statements += ROWS;
        sent.roundTrips += ROWS;
        return;
      default:
        throw new IllegalArgumentException("mode: " + mode);
    }
    sent.statements += sink.statements() - statements;
    sent.roundTrips += sink.roundTrips() - trips;
  }

  /**
   * The rewrite baseline on {@code inFlight} connections at once: the batches are dealt out in
   * turn, batch i to connection i mod inFlight, each connection sending its own one after another,
   * as {@code maxInFlightBatches(inFlight)} lets the batcher do.
   */
  private void rewriteOnConnections() throws Exception {
    List<Callable<Void>> tasks = new ArrayList<>(inFlight);
    for (int t = 0; t < inFlight; t++) {
      List<Row> mine = new ArrayList<>(ROWS / inFlight + batchSize);
      for (int start = t * batchSize; start < ROWS; start += inFlight * batchSize) {
        mine.addAll(rows.subList(start, Math.min(ROWS, start + batchSize)));
      }
      tasks.add(() -> {
        jdbcBatches(mine, false);
        return null;
      });
    }
    for (Future<Void> f : connections.invokeAll(tasks)) {
      f.get();
    }
  }

  private void jdbcBatches(List<Row> rows, boolean oneByOne) throws Exception {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(insert)) {
      c.setAutoCommit(oneByOne);
      int inBatch = 0;
      for (Row r : rows) {
        ps.setLong(1, r.id());
        ps.setLong(2, r.postId());
        ps.setLong(3, r.userId());
        ps.setString(4, r.note());
        if (oneByOne) {
          ps.executeUpdate();
          continue;
        }
        ps.addBatch();
        if (++inBatch == batchSize) {
          ps.executeBatch();
          c.commit();
          inBatch = 0;
        }
      }
      if (inBatch > 0) {
        ps.executeBatch();
        c.commit();
      }
      c.setAutoCommit(true);
    }
  }
}
