package dev.batcher.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.batcher.Batcher;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.JDBCType;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A MariaDB connection killed ({@code KILL CONNECTION}) in the middle of a large batch: the batch
 * fails as retryable, the batcher sends it again on a fresh connection, every row arrives exactly
 * once (the killed transaction's statements were rolled back with it), and no dead connection is
 * handed out by the pool afterwards: every pooled connection answers.
 */
class MariaDbKilledConnectionIT {
  private static final int ROWS = 50_000;
  private static final long STOP_AT = 30_000;
  private static final int POOL = 2;

  record Row(long id, String name) {}

  private final String table = "killed_" + ProcessHandle.current().pid();
  private final String url = System.getenv().getOrDefault(TestDatabases.MARIADB_VARIABLE,
      TestDatabases.MARIADB_DEFAULT);
  private HikariDataSource pool;
  private Connection observer;

  @BeforeEach
  void setUp() throws Exception {
    TestDatabases.mariadb().close(); // fails with a clear message if MariaDB is down
    observer = DriverManager.getConnection(url); // outside the pool: kills and counts
    try (Statement s = observer.createStatement()) {
      s.execute("DROP TABLE IF EXISTS " + table);
      s.execute("CREATE TABLE " + table + " (id bigint primary key, name varchar(100) not null)");
    }
    HikariConfig c = new HikariConfig();
    c.setJdbcUrl(url);
    c.setMaximumPoolSize(POOL);
    c.setMinimumIdle(POOL);
    c.setConnectionTimeout(5_000);
    pool = new HikariDataSource(c);
  }

  @AfterEach
  void tearDown() throws Exception {
    pool.close();
    try (Statement s = observer.createStatement()) {
      s.execute("DROP TABLE IF EXISTS " + table);
    }
    observer.close();
  }

  @ParameterizedTest
  @EnumSource(value = WriteStrategy.class, names = {"MULTI_ROW", "JDBC_BATCH"})
  void killedMidBatch_retriedOnFreshConnection_rowsOnce_noDeadConnectionPooled(
      WriteStrategy strategy) throws Exception {
    CountDownLatch stopped = new CountDownLatch(1);
    CountDownLatch killed = new CountDownLatch(1);
    AtomicBoolean once = new AtomicBoolean();
    AtomicLong sinkConnection = new AtomicLong();
    JdbcSink<Row> sink = JdbcSink.<Row>builder(recordingConnectionId(pool, sinkConnection))
        .table(table)
        .column("id", JDBCType.BIGINT, Row::id)
        .column("name", JDBCType.VARCHAR, r -> {
          if (r.id() == STOP_AT && once.compareAndSet(false, true)) {
            stopped.countDown();
            try {
              killed.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          return r.name();
        })
        .strategy(strategy)
        .maxStatementBytes(64 * 1024) // many statements in the batch's transaction before the kill
        .build();

    List<CompletableFuture<Void>> futures = new ArrayList<>(ROWS);
    try (Batcher<Row> batcher = Batcher.builder(sink).maxBatchSize(ROWS).queueCapacity(ROWS)
        .maxDelay(Duration.ofSeconds(60)).build()) {
      for (int i = 0; i < ROWS; i++) {
        futures.add(batcher.submit(new Row(i, "row-" + i)));
      }
      batcher.flush();
      assertThat(stopped.await(30, TimeUnit.SECONDS)).as("the sink reached the stop row").isTrue();
      try (Statement s = observer.createStatement()) {
        s.execute("KILL CONNECTION " + sinkConnection.get());
      }
      killed.countDown();
      batcher.flush().get(60, TimeUnit.SECONDS);
    }
    for (CompletableFuture<Void> f : futures) {
      f.get(); // every item written, after the retry
    }
    try (Statement s = observer.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*), count(DISTINCT id) FROM " + table)) {
      rs.next();
      assertThat(rs.getLong(1)).as("rows").isEqualTo(ROWS);
      assertThat(rs.getLong(2)).as("distinct ids").isEqualTo(ROWS);
    }
    // Every connection the pool hands out now answers: the killed one is not among them.
    List<Connection> all = new ArrayList<>();
    try {
      for (int i = 0; i < POOL; i++) {
        Connection c = pool.getConnection();
        all.add(c);
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 1")) {
          assertThat(rs.next()).isTrue();
        }
      }
    } finally {
      for (Connection c : all) {
        c.close();
      }
    }
    assertThat(pool.getHikariPoolMXBean().getTotalConnections()).isEqualTo(POOL);
  }

  /** {@code ds}, recording the server's id of each connection it hands out. */
  private static DataSource recordingConnectionId(DataSource ds, AtomicLong id) {
    return (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(),
        new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
          Object result;
          try {
            result = method.invoke(ds, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
          if (result instanceof Connection c) {
            try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT CONNECTION_ID()")) {
              rs.next();
              id.set(rs.getLong(1));
            }
          }
          return result;
        });
  }
}
