package dev.batcher.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.batcher.BatchResult;
import dev.batcher.Batcher;
import dev.batcher.BatcherMetrics;
import dev.batcher.RetryPolicy;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.JDBCType;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLNonTransientException;
import java.sql.SQLTransientException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * How the sink fails when something other than the database breaks: an {@link Error} thrown by a
 * value function in the middle of a batch (nothing of the batch may be committed, and the pooled
 * connection must not carry the open transaction to its next borrower), a {@link DataSource} whose
 * {@code getConnection} throws a {@link RuntimeException} (retried whole, never split), and a pool
 * that cannot log in (failed at once: no retry, no split).
 */
class SinkFailureModesIT {
  private static final int ROWS = 100;
  private static final long POISON = 50;

  record Row(long id, String name) {}

  private final String table = "failure_modes_" + ProcessHandle.current().pid();
  private final List<HikariDataSource> pools = new ArrayList<>();

  @AfterEach
  void tearDown() throws SQLException {
    for (HikariDataSource p : pools) {
      if (!p.isClosed()) {
        TestDatabases.exec(p, "DROP TABLE IF EXISTS " + table);
      }
      p.close();
    }
  }

  static List<Arguments> databasesAndStrategies() {
    List<Arguments> out = new ArrayList<>();
    for (Dialect d : new Dialect[] {Dialect.POSTGRESQL, Dialect.MARIADB}) {
      for (WriteStrategy s : new WriteStrategy[] {WriteStrategy.ONE_BY_ONE,
          WriteStrategy.JDBC_BATCH, WriteStrategy.MULTI_ROW}) {
        out.add(Arguments.of(d, s));
      }
    }
    return out;
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("databasesAndStrategies")
  void errorMidBatch_rollsBack_commitsNothing_andLeavesNoOpenTransactionInThePool(Dialect dialect,
      WriteStrategy strategy) throws Exception {
    HikariDataSource pool = pool(dialect, 1); // one connection: the next borrower gets the same
    AtomicBoolean poisoned = new AtomicBoolean(true);
    JdbcSink<Row> sink = sink(pool, strategy, r -> {
      if (r.id() == 5 && poisoned.get()) {
        throw new AssertionError("value function broke at row 5");
      }
      return r.name();
    });
    List<Row> batch = rows(10);

    assertThatThrownBy(() -> sink.write(batch)).isInstanceOf(AssertionError.class)
        .hasMessage("value function broke at row 5");

    assertThat(count(pool)).as("rows committed by the failed batch").isZero();
    try (Connection c = pool.getConnection()) {
      assertThat(c.getAutoCommit()).as("autocommit of the pooled connection").isTrue();
    }
    poisoned.set(false);
    assertThat(sink.write(batch).isSuccess()).isTrue();
    assertThat(count(pool)).isEqualTo(10);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("databasesAndStrategies")
  void errorThroughABatcher_rowsStoredAreExactlyTheItemsThatSucceeded(Dialect dialect,
      WriteStrategy strategy) throws Exception {
    HikariDataSource pool = pool(dialect, 2);
    JdbcSink<Row> sink = sink(pool, strategy, r -> {
      if (r.id() == POISON) {
        throw new StackOverflowError("value function recursed at row " + POISON);
      }
      return r.name();
    });
    List<CompletableFuture<Void>> futures = new ArrayList<>();
    BatcherMetrics metrics;
    try (Batcher<Row> batcher = Batcher.builder(sink).maxBatchSize(ROWS)
        .maxDelay(Duration.ofSeconds(10)).deliveryTimeout(Duration.ofSeconds(60)).build()) {
      for (Row r : rows(ROWS)) {
        futures.add(batcher.submit(r));
      }
      batcher.flush().get(60, TimeUnit.SECONDS);
      metrics = batcher.metrics();
    }
    List<Long> failed = new ArrayList<>();
    for (int i = 0; i < futures.size(); i++) {
      try {
        futures.get(i).get(30, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        failed.add((long) i);
      }
    }
    assertThat(failed).as("items failed").containsExactly(POISON);
    assertThat(count(pool)).as("rows stored = items succeeded").isEqualTo(ROWS - 1);
    assertThat(metrics.succeeded()).isEqualTo(ROWS - 1);
    assertThat(ids(pool)).doesNotContain(POISON);
  }

  @Test
  void getConnectionThrowingARuntimeException_failsTheBatchRetryable_notSplit() throws Exception {
    HikariDataSource pool = pool(Dialect.POSTGRESQL, 2);
    AtomicInteger refusals = new AtomicInteger(2);
    DataSource restarting = refusingConnections(pool, refusals);
    JdbcSink<Row> sink = JdbcSink.<Row>builder(restarting).dialect(Dialect.POSTGRESQL)
        .table(table).column("id", JDBCType.BIGINT, Row::id)
        .column("name", JDBCType.VARCHAR, Row::name).build();

    BatchResult direct = sink.write(rows(4));
    assertThat(direct.batchFailure()).isInstanceOf(SQLTransientException.class)
        .hasMessage("pool is restarting").hasCauseInstanceOf(IllegalStateException.class);

    List<CompletableFuture<Void>> futures = new ArrayList<>();
    BatcherMetrics metrics;
    try (Batcher<Row> batcher = Batcher.builder(sink).maxBatchSize(64)
        .maxDelay(Duration.ofSeconds(10))
        .retryPolicy(RetryPolicy.builder().maxAttempts(3)
            .initialBackoff(Duration.ofMillis(1)).build())
        .build()) {
      for (Row r : rows(64)) {
        futures.add(batcher.submit(r));
      }
      batcher.flush().get(60, TimeUnit.SECONDS);
      metrics = batcher.metrics();
    }
    for (CompletableFuture<Void> f : futures) {
      f.get(30, TimeUnit.SECONDS); // written once the pool came back
    }
    assertThat(metrics.bisections()).as("bisections").isZero();
    assertThat(metrics.retries()).as("retries").isPositive();
    assertThat(count(pool)).isEqualTo(64);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("multiRowStrategies")
  void unbindableValue_failsItsOwnItem_underMultiRowStatements(Dialect dialect,
      WriteStrategy strategy) throws Exception {
    HikariDataSource pool = pool(dialect, 1);
    JdbcSink.Builder<Row> b = JdbcSink.<Row>builder(pool).table(table)
        .column("id", JDBCType.BIGINT, r -> r.id() == 7 ? (Object) "seven" : (Object) r.id())
        .column("name", JDBCType.VARCHAR, Row::name)
        .strategy(strategy).maxStatementBytes(100_000); // chunks, not arrays, on PostgreSQL
    if (strategy != WriteStrategy.MULTI_ROW) {
      b.keyColumns("id");
    }
    List<Row> batch = new ArrayList<>(rows(10));
    batch.add(0, new Row(3, "row-3 again")); // a repeated key: rows sent differ from items

    BatchResult r = sink(b).write(batch);

    assertThat(r.failedCount()).as("%s", r).isEqualTo(1);
    assertThat(r.outcome(8)).as("%s", r).isEqualTo(BatchResult.Outcome.FAILED_PERMANENTLY);
    assertThat(count(pool)).isZero();
  }

  static List<Arguments> multiRowStrategies() {
    // pgjdbc refuses "seven" for a BIGINT parameter when it is bound, before sending
    return List.of(Arguments.of(Dialect.POSTGRESQL, WriteStrategy.MULTI_ROW),
        Arguments.of(Dialect.POSTGRESQL, WriteStrategy.UPSERT),
        Arguments.of(Dialect.POSTGRESQL, WriteStrategy.INSERT_IGNORE));
  }

  private static JdbcSink<Row> sink(JdbcSink.Builder<Row> b) {
    return b.build();
  }

  static List<Arguments> refusedLogins() {
    return List.of(
        Arguments.of("jdbc:postgresql://127.0.0.1:5432/no_such_database_here?user=postgres",
            "3D000"),
        Arguments.of("jdbc:postgresql://127.0.0.1:5432/test?user=no_such_role_here", "28000"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("refusedLogins")
  void hikariRefusedLogin_failsTheBatchAtOnce_noRetry_noSplit(String url, String state)
      throws Exception {
    HikariDataSource main = pool(Dialect.POSTGRESQL, 1); // PostgreSQL answers, the table exists
    HikariConfig c = new HikariConfig();
    c.setJdbcUrl(pointedAt(main, url));
    c.setMaximumPoolSize(1);
    c.setConnectionTimeout(1_000);
    c.setInitializationFailTimeout(-1); // the pool starts; each borrow fails with the login
    try (HikariDataSource refused = new HikariDataSource(c)) {
      AtomicInteger borrows = new AtomicInteger();
      DataSource counted = refusingConnections(refused, new AtomicInteger(), borrows);
      JdbcSink<Row> sink = JdbcSink.<Row>builder(counted).dialect(Dialect.POSTGRESQL)
          .table(table).column("id", JDBCType.BIGINT, Row::id)
          .column("name", JDBCType.VARCHAR, Row::name).build();

      BatchResult direct = sink.write(rows(2));
      assertThat(direct.batchFailure()).isInstanceOf(SQLNonTransientException.class);
      assertThat(((SQLException) direct.batchFailure()).getSQLState()).isEqualTo(state);

      borrows.set(0);
      List<CompletableFuture<Void>> futures = new ArrayList<>();
      BatcherMetrics metrics;
      try (Batcher<Row> batcher = Batcher.builder(sink).maxBatchSize(32)
          .maxDelay(Duration.ofSeconds(10)).build()) {
        for (Row r : rows(32)) {
          futures.add(batcher.submit(r));
        }
        batcher.flush().get(60, TimeUnit.SECONDS);
        metrics = batcher.metrics();
      }
      for (CompletableFuture<Void> f : futures) {
        assertThat(f).failsWithin(Duration.ofSeconds(30));
      }
      assertThat(metrics.retries()).as("retries").isZero();
      assertThat(metrics.bisections()).as("bisections").isZero();
      assertThat(borrows.get()).as("connections asked for").isEqualTo(1);
    }
  }

  /** {@code url} with the host and port of the test PostgreSQL that {@code main} reaches. */
  private static String pointedAt(HikariDataSource main, String url) {
    String base = main.getJdbcUrl();
    int hostStart = base.indexOf("//") + 2;
    String hostPort = base.substring(hostStart, base.indexOf('/', hostStart));
    return url.replace("127.0.0.1:5432", hostPort);
  }

  private JdbcSink<Row> sink(DataSource pool, WriteStrategy strategy,
      java.util.function.Function<Row, String> name) {
    JdbcSink.Builder<Row> b = JdbcSink.<Row>builder(pool).table(table)
        .column("id", JDBCType.BIGINT, Row::id).column("name", JDBCType.VARCHAR, name)
        .strategy(strategy);
    if (strategy == WriteStrategy.MULTI_ROW) {
      b.maxStatementBytes(200); // a few rows per statement: several statements per transaction
    }
    return b.build();
  }

  /** A pool of {@code size} connections on {@code dialect}'s test database, with the table. */
  private HikariDataSource pool(Dialect dialect, int size) throws SQLException {
    String url;
    try (HikariDataSource checked = TestDatabases.of(dialect)) { // fails clearly if it is down
      url = checked.getJdbcUrl();
    }
    HikariConfig c = new HikariConfig();
    c.setJdbcUrl(url);
    c.setMaximumPoolSize(size);
    c.setConnectionTimeout(5_000);
    HikariDataSource p = new HikariDataSource(c);
    pools.add(p);
    TestDatabases.exec(p, "DROP TABLE IF EXISTS " + table,
        "CREATE TABLE " + table + " (id bigint primary key, name varchar(100) not null)");
    return p;
  }

  private static List<Row> rows(int n) {
    List<Row> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(new Row(i, "row-" + i));
    }
    return out;
  }

  private long count(DataSource ds) throws SQLException {
    try (Connection c = ds.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private List<Long> ids(DataSource ds) throws SQLException {
    List<Long> out = new ArrayList<>();
    try (Connection c = ds.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT id FROM " + table)) {
      while (rs.next()) {
        out.add(rs.getLong(1));
      }
    }
    return out;
  }

  /** {@code ds}, whose first {@code refusals} getConnection calls throw IllegalStateException. */
  private static DataSource refusingConnections(DataSource ds, AtomicInteger refusals) {
    return refusingConnections(ds, refusals, new AtomicInteger());
  }

  private static DataSource refusingConnections(DataSource ds, AtomicInteger refusals,
      AtomicInteger borrows) {
    return (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(),
        new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
          if (method.getName().equals("getConnection")) {
            borrows.incrementAndGet();
            if (refusals.getAndDecrement() > 0) {
              throw new IllegalStateException("pool is restarting");
            }
          }
          try {
            return method.invoke(ds, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }
}
