package dev.batcher.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import dev.batcher.Batcher;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.JDBCType;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connection killed ({@code pg_terminate_backend}) while a large COPY streams, or while a large
 * UNNEST is being bound, fails the batch as retryable (57P01/08006); the batcher's default retry
 * policy sends it again on a fresh connection, every row arrives exactly once, and the pool keeps
 * no dead connection: HikariCP's count of connections equals the live backends of its
 * application name in {@code pg_stat_activity}, before and after.
 *
 * <p>The sink's value function stops on one row in the middle of the batch until the test has
 * killed the backend, so the kill always lands mid-write.
 */
class PostgresBulkKilledConnectionIT {
  /** Measured facts, at INFO: written to target/test.log (see logback-test.xml). */
  private static final Logger LOG = LoggerFactory.getLogger(PostgresBulkKilledConnectionIT.class);

  private static final int ROWS = 200_000;
  private static final long STOP_AT = 120_000;
  private static final int POOL = 2;
  private static final AtomicInteger RUNS = new AtomicInteger();

  record Row(long id, String name) {}

  private final String table = "bulk_killed_" + ProcessHandle.current().pid();
  private final String application = "batcher-killed-" + ProcessHandle.current().pid() + "-"
      + RUNS.incrementAndGet();
  private final String url = System.getenv().getOrDefault(TestDatabases.POSTGRES_VARIABLE,
      TestDatabases.POSTGRES_DEFAULT);
  private HikariDataSource pool;
  private Connection observer;

  @BeforeEach
  void setUp() throws Exception {
    TestDatabases.postgres().close(); // fails with a clear message if PostgreSQL is down
    observer = DriverManager.getConnection(url); // outside the pool: kills and counts
    try (var s = observer.createStatement()) {
      s.execute("DROP TABLE IF EXISTS " + table);
      s.execute("CREATE TABLE " + table + " (id bigint primary key, name text not null)");
    }
    HikariConfig c = new HikariConfig();
    c.setJdbcUrl(url);
    c.addDataSourceProperty("ApplicationName", application);
    c.setMaximumPoolSize(POOL);
    c.setMinimumIdle(POOL);
    c.setConnectionTimeout(5_000);
    pool = new HikariDataSource(c);
  }

  @AfterEach
  void tearDown() throws Exception {
    pool.close();
    try (var s = observer.createStatement()) {
      s.execute("DROP TABLE IF EXISTS " + table);
    }
    observer.close();
  }

  @ParameterizedTest
  @EnumSource(value = WriteStrategy.class, names = {"COPY", "UNNEST"})
  void killedMidWrite_batchRetriedOnFreshConnection_rowsOnce_noDeadConnectionPooled(
      WriteStrategy strategy) throws Exception {
    HikariPoolMXBean mx = pool.getHikariPoolMXBean();
    await().atMost(Duration.ofSeconds(10))
        .until(() -> mx.getTotalConnections() == POOL && liveBackends() == POOL);

    CountDownLatch stopped = new CountDownLatch(1);
    CountDownLatch killed = new CountDownLatch(1);
    AtomicBoolean once = new AtomicBoolean();
    AtomicInteger sinkPid = new AtomicInteger();
    JdbcSink<Row> sink = JdbcSink.<Row>builder(recordingPid(pool, sinkPid)).table(table)
        .column("id", JDBCType.BIGINT, Row::id)
        .column("name", JDBCType.VARCHAR, r -> {
          if (r.id() == STOP_AT && once.compareAndSet(false, true)) {
            stopped.countDown();
            awaitQuietly(killed);
          }
          return r.name();
        })
        .strategy(strategy)
        .build();

    List<CompletableFuture<Void>> futures = new ArrayList<>(ROWS);
    List<Integer> killedPids;
    try (Batcher<Row> batcher = Batcher.builder(sink).maxBatchSize(ROWS).queueCapacity(ROWS)
        .maxDelay(Duration.ofSeconds(60)).build()) {
      for (int i = 0; i < ROWS; i++) {
        futures.add(batcher.submit(new Row(i, "row-" + i + "-" + "x".repeat(i % 40))));
      }
      assertThat(stopped.await(30, TimeUnit.SECONDS)).as("the sink reached the stop row").isTrue();
      killedPids = kill(sinkPid.get());
      killed.countDown();
      batcher.flush().get(60, TimeUnit.SECONDS);
    }

    assertThat(killedPids).as("the sink's backend killed").hasSize(1);
    for (CompletableFuture<Void> f : futures) {
      f.get(); // every item written, after the retry
    }
    try (PreparedStatement ps = observer.prepareStatement(
        "SELECT count(*), count(DISTINCT id) FROM " + table); ResultSet rs = ps.executeQuery()) {
      rs.next();
      assertThat(rs.getLong(1)).as("rows").isEqualTo(ROWS);
      assertThat(rs.getLong(2)).as("distinct ids").isEqualTo(ROWS);
    }
    // The pool holds as many connections as there are live backends of its name, none dead.
    await().atMost(Duration.ofSeconds(10)).until(() -> mx.getActiveConnections() == 0
        && mx.getTotalConnections() == POOL && liveBackends() == POOL);
    assertThat(livePids()).doesNotContainAnyElementsOf(killedPids);
    LOG.info(strategy + " killed mid-write: " + sink.statements() + " statements, pool "
        + mx.getTotalConnections() + " connections, " + liveBackends() + " live backends");
    assertThat(sink.statements()).as("the failed statement and its retry").isEqualTo(2);
  }

  /**
   * {@code ds}, recording the backend pid of each connection it hands out in {@code pid}: the
   * connection is still HikariCP's proxy, as the sink would get it.
   */
  private static DataSource recordingPid(DataSource ds, AtomicInteger pid) {
    return (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(),
        new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
          Object result;
          try {
            result = method.invoke(ds, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
          if (result instanceof Connection c) {
            try (var s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT pg_backend_pid()")) {
              rs.next();
              pid.set(rs.getInt(1));
            }
          }
          return result;
        });
  }

  /** Terminates backend {@code pid} of the pool's, returning the pids it killed. */
  private List<Integer> kill(int pid) throws Exception {
    List<Integer> pids = new ArrayList<>();
    try (PreparedStatement ps = observer.prepareStatement("SELECT pid, pg_terminate_backend(pid)"
        + " FROM pg_stat_activity WHERE application_name = ? AND pid = ?")) {
      ps.setString(1, application);
      ps.setInt(2, pid);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          pids.add(rs.getInt(1));
        }
      }
    }
    return pids;
  }

  private int liveBackends() throws Exception {
    return livePids().size();
  }

  private List<Integer> livePids() throws Exception {
    List<Integer> pids = new ArrayList<>();
    try (PreparedStatement ps = observer.prepareStatement(
        "SELECT pid FROM pg_stat_activity WHERE application_name = ?")) {
      ps.setString(1, application);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          pids.add(rs.getInt(1));
        }
      }
    }
    return pids;
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
