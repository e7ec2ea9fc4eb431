package dev.batcher.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.batcher.Batcher;
import dev.batcher.BatcherListener;
import dev.batcher.BatcherMetrics;
import dev.batcher.RetryPolicy;
import java.sql.Connection;
import java.sql.JDBCType;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The retryable SQLStates provoked on the real databases, through a real {@link JdbcSink} and
 * {@link Batcher}: a lock held by another connection until the batcher has seen the first failure
 * (PostgreSQL 55P03 under {@code lock_timeout}, MariaDB 1205 under {@code
 * innodb_lock_wait_timeout}, H2 HYT00 under {@code LOCK_TIMEOUT}), a statement cancelled by
 * {@code statement_timeout} (57014) and a serialization failure (40001) or deadlock state (40P01)
 * a trigger raises on its first call only. Each time the batch is retried whole, never bisected,
 * every row is written once and every future succeeds.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RetryableStatesIT {
  private static final int ROWS = 100;
  private static final AtomicInteger TABLES = new AtomicInteger();

  record Row(long id, String name) {}

  private final String table = "retryable_" + ProcessHandle.current().pid() + "_"
      + TABLES.incrementAndGet();
  private @Nullable HikariDataSource ds;
  private WriteStrategy strategy = WriteStrategy.MULTI_ROW;
  private String quoted = "";
  private String id = "id";
  private String name = "name";
  private final List<String> cleanup = new ArrayList<>();

  @AfterEach
  void tearDown() throws SQLException {
    if (ds != null) {
      TestDatabases.exec(ds, cleanup.toArray(String[]::new));
      ds.close();
    }
  }

  @Test
  void postgres_lockTimeout_55P03_retried() throws Exception {
    open(Dialect.POSTGRESQL, "SET lock_timeout = '200ms'");
    assertLockHeldUntilFirstFailure("55P03");
  }

  @Test
  void mariadb_lockWaitTimeout_1205_retried() throws Exception {
    open(Dialect.MARIADB, "SET SESSION innodb_lock_wait_timeout = 1");
    assertLockHeldUntilFirstFailure("HY000/1205"); // SQLState HY000: the vendor code counts
  }

  @Test
  void h2_lockTimeout_HYT00_retried() throws Exception {
    open(Dialect.H2, null);
    // H2: a row another transaction updated, which the upsert then waits for
    TestDatabases.exec(pool(), "INSERT INTO " + quoted + " VALUES (" + ROWS / 2 + ", 'old')");
    strategy = WriteStrategy.UPSERT;
    assertLockHeldUntilFirstFailure("HYT00");
  }

  @Test
  void postgres_statementTimeout_57014_retried() throws Exception {
    open(Dialect.POSTGRESQL, "SET statement_timeout = '300ms'");
    // nextval is not rolled back with the cancelled statement: only the first call sleeps
    firstCallTrigger("PERFORM pg_sleep(5)");
    assertRetriedOnce("57014");
  }

  @Test
  void postgres_serializationFailure_40001_retried() throws Exception {
    open(Dialect.POSTGRESQL, null);
    firstCallTrigger("RAISE EXCEPTION 'first call' USING ERRCODE = '40001'");
    assertRetriedOnce("40001");
  }

  @Test
  void postgres_deadlockState_40P01_retried() throws Exception {
    open(Dialect.POSTGRESQL, null);
    firstCallTrigger("RAISE EXCEPTION 'first call' USING ERRCODE = '40P01'");
    assertRetriedOnce("40P01");
  }

  // ------------------------------------------------------------------------------ helpers

  /** The table and a pool on {@code dialect} whose connections run {@code initSql}. */
  private void open(Dialect dialect, @Nullable String initSql) throws SQLException {
    HikariConfig c = new HikariConfig();
    switch (dialect) {
      case POSTGRESQL -> {
        TestDatabases.postgres().close(); // fails with a clear message if it is down
        c.setJdbcUrl(System.getenv().getOrDefault(TestDatabases.POSTGRES_VARIABLE,
            TestDatabases.POSTGRES_DEFAULT));
      }
      case MARIADB -> {
        TestDatabases.mariadb().close();
        c.setJdbcUrl(System.getenv().getOrDefault(TestDatabases.MARIADB_VARIABLE,
            TestDatabases.MARIADB_DEFAULT));
      }
      default -> c.setJdbcUrl("jdbc:h2:mem:" + table + ";LOCK_TIMEOUT=200;DB_CLOSE_DELAY=-1");
    }
    if (initSql != null) {
      c.setConnectionInitSql(initSql);
    }
    c.setMaximumPoolSize(3);
    c.setConnectionTimeout(5_000);
    ds = new HikariDataSource(c);
    id = dialect.quote("column", "id");
    name = dialect.quote("column", "name");
    quoted = dialect.quote("table", table); // as the sink names it: H2 would fold it to upper case
    cleanup.add("DROP TABLE IF EXISTS " + quoted);
    TestDatabases.exec(ds, "DROP TABLE IF EXISTS " + quoted,
        "CREATE TABLE " + quoted + " (" + dialect.quote("column", "id") + " bigint primary key, "
            + dialect.quote("column", "name") + " varchar(100) not null)");
  }

  /**
   * A statement-level trigger on the table that runs {@code action} on its first call only,
   * counted by a sequence (not rolled back with the failed statement, as a flag row would be).
   */
  private void firstCallTrigger(String action) throws SQLException {
    String seq = table + "_calls";
    String fn = table + "_first";
    cleanup.add(0, "DROP FUNCTION IF EXISTS " + fn + "() CASCADE");
    cleanup.add("DROP SEQUENCE IF EXISTS " + seq);
    TestDatabases.exec(pool(), "CREATE SEQUENCE " + seq,
        "CREATE FUNCTION " + fn + "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            + " IF nextval('" + seq + "') = 1 THEN " + action + "; END IF; RETURN NULL; END $$",
        "CREATE TRIGGER " + fn + " AFTER INSERT ON " + quoted
            + " FOR EACH STATEMENT EXECUTE FUNCTION " + fn + "()");
  }

  /**
   * Another connection inserts the batch's middle key (updates its row, for an upsert) and keeps its transaction open until the
   * batcher reports the first retry; then it rolls back, and the retry goes through.
   */
  private void assertLockHeldUntilFirstFailure(String state) throws Exception {
    try (Connection holder = pool().getConnection()) {
      holder.setAutoCommit(false);
      try (Statement s = holder.createStatement()) {
        s.executeUpdate(strategy == WriteStrategy.UPSERT
            ? "UPDATE " + quoted + " SET \"name\" = 'held' WHERE \"id\" = " + ROWS / 2
            : "INSERT INTO " + quoted + " VALUES (" + ROWS / 2 + ", 'held')");
      }
      Run run = start();
      try {
        assertThat(run.firstRetry.await(10, TimeUnit.SECONDS)).as("a retry was seen").isTrue();
      } finally {
        holder.rollback();
      }
      run.finish(state);
    }
  }

  private void assertRetriedOnce(String state) throws Exception {
    start().finish(state);
  }

  /** The rows submitted to a batcher over the sink, one batch, retries recorded. */
  private Run start() {
    JdbcSink<Row> sink = JdbcSink.<Row>builder(pool()).table(table)
        .column("id", JDBCType.BIGINT, Row::id)
        .column("name", JDBCType.VARCHAR, Row::name)
        .keyColumns("id")
        .strategy(strategy)
        .build();
    Run run = new Run();
    run.batcher = Batcher.builder(sink).maxBatchSize(ROWS).maxDelay(Duration.ofSeconds(30))
        .retryPolicy(RetryPolicy.builder().maxAttempts(10).initialBackoff(Duration.ofMillis(20))
            .build())
        .listener(new BatcherListener<Row>() {
          @Override
          public void onRetry(Row item, Throwable cause, int attemptsSoFar) {
            run.causes.add(cause);
            run.firstRetry.countDown();
          }
        })
        .build();
    for (int i = 0; i < ROWS; i++) {
      run.futures.add(run.batcher.submit(new Row(i, "row-" + i)));
    }
    return run;
  }

  private final class Run {
    @Nullable Batcher<Row> batcher;
    final List<CompletableFuture<Void>> futures = new ArrayList<>();
    final Queue<Throwable> causes = new ConcurrentLinkedQueue<>();
    final CountDownLatch firstRetry = new CountDownLatch(1);

    /** Waits for every future; asserts retried, not bisected, each row once. */
    void finish(String state) throws Exception {
      BatcherMetrics metrics;
      try (Batcher<Row> b = java.util.Objects.requireNonNull(batcher)) {
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
            .get(20, TimeUnit.SECONDS); // every item succeeded
        metrics = b.metrics();
      }
      assertThat(metrics.retries()).as("retries").isPositive();
      assertThat(metrics.bisections()).as("bisections").isZero();
      assertThat(causes).isNotEmpty().allSatisfy(c -> assertThat(sqlState(c)).isEqualTo(state));
      try (Connection c = pool().getConnection(); Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT count(*), count(DISTINCT " + id + "), min(" + name + ") FROM "
              + quoted)) {
        rs.next();
        assertThat(rs.getLong(1)).as("rows").isEqualTo(ROWS);
        assertThat(rs.getLong(2)).as("distinct ids").isEqualTo(ROWS);
        assertThat(rs.getString(3)).as("no held row").startsWith("row-");
      }
    }
  }

  private static @Nullable String sqlState(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof SQLException e && e.getSQLState() != null) {
        return "HY000".equals(e.getSQLState()) ? "HY000/" + e.getErrorCode() : e.getSQLState();
      }
    }
    return null;
  }

  private HikariDataSource pool() {
    return java.util.Objects.requireNonNull(ds);
  }
}
