package dev.batcher.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.batcher.Batcher;
import dev.batcher.BatcherMetrics;
import java.sql.Connection;
import java.sql.JDBCType;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Values a MariaDB server cannot take fail their own item, pinpointed, under every strategy: a
 * NaN or infinite double (which Connector/J would inline as a bare word the server reads as an
 * unknown column, failing the whole batch) and a row bigger than {@code max_allowed_packet}
 * (which the server answers by closing the connection, a failure that would be retried whole).
 */
class MariaDbValueLimitsIT {
  private static final int ITEMS = 1_000;
  private static final int POISON = 500;

  record Reading(long id, long n, Double value) {}

  record Doc(long id, String body) {}

  private final String table = "value_limits_" + ProcessHandle.current().pid();
  private HikariDataSource pool;

  @BeforeEach
  void setUp() {
    pool = TestDatabases.mariadb();
  }

  @AfterEach
  void tearDown() throws SQLException {
    TestDatabases.exec(pool, "DROP TABLE IF EXISTS " + table);
    pool.close();
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = WriteStrategy.class, names = {"ONE_BY_ONE", "JDBC_BATCH", "MULTI_ROW",
      "UPSERT", "INSERT_IGNORE", "COUNTER_MERGE"})
  void nonFiniteDouble_failsItsItemWith22003_othersStored_noBisection(WriteStrategy strategy)
      throws Exception {
    for (double poison : new double[] {Double.NaN, Double.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY}) {
      TestDatabases.exec(pool, "DROP TABLE IF EXISTS " + table, "CREATE TABLE " + table
          + " (id bigint primary key, n bigint not null, v double)");
      boolean counter = strategy == WriteStrategy.COUNTER_MERGE;
      JdbcSink.Builder<Reading> b = JdbcSink.<Reading>builder(pool).table(table)
          .column("id", JDBCType.BIGINT, Reading::id)
          .column("n", JDBCType.BIGINT, Reading::n)
          .column("v", JDBCType.DOUBLE, Reading::value)
          .strategy(strategy);
      if (strategy == WriteStrategy.UPSERT || strategy == WriteStrategy.INSERT_IGNORE || counter) {
        b.keyColumns("id");
      }
      JdbcSink<Reading> sink = b.build();
      List<Reading> items = new ArrayList<>(ITEMS);
      for (int i = 0; i < ITEMS; i++) {
        // COUNTER_MERGE adds up every value column: whole deltas, the double passes as it is
        items.add(new Reading(i, 1, i == POISON ? Double.valueOf(poison) : counter ? (Double) null : Double.valueOf(i)));
      }
      Outcome o = throughBatcher(sink, items);

      assertThat(o.failed).as("%s: failed items", poison).containsExactly(POISON);
      assertThat(o.failedStates).as("%s: SQLState", poison).containsExactly("22003");
      assertThat(o.failedMessages.get(0)).as("%s: message", poison)
          .contains("column 'v'").contains(String.valueOf(poison));
      assertThat(o.metrics.bisections()).as("%s: bisections", poison).isZero();
      assertThat(count()).as("%s: rows", poison).isEqualTo(ITEMS - 1);
    }
  }

  @Test
  void rowBiggerThanMaxAllowedPacket_failsItsItemPermanently_othersStored_noDeadConnection()
      throws Exception {
    long limit;
    try (Connection c = pool.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT @@max_allowed_packet")) {
      rs.next();
      limit = rs.getLong(1);
    }
    TestDatabases.exec(pool, "DROP TABLE IF EXISTS " + table,
        "CREATE TABLE " + table + " (id bigint primary key, body longtext not null)");
    JdbcSink<Doc> sink = JdbcSink.<Doc>builder(pool).table(table)
        .column("id", JDBCType.BIGINT, Doc::id).column("body", JDBCType.VARCHAR, Doc::body)
        .build(); // MULTI_ROW, the MariaDB default
    String tooBig = "x".repeat(Math.toIntExact(limit + 1024)); // just over the server's limit
    List<Doc> items = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      items.add(new Doc(i, i == 100 ? tooBig : "doc-" + i));
    }

    Outcome o = throughBatcher(sink, items);

    assertThat(o.failed).as("failed items").containsExactly(100);
    assertThat(o.failedStates).containsExactly("22001");
    assertThat(o.failedMessages.get(0)).contains("max_allowed_packet of " + limit);
    assertThat(o.metrics.retries()).as("retries").isZero();
    assertThat(o.metrics.bisections()).as("bisections").isZero();
    assertThat(sink.statements()).as("statements").isEqualTo(1);
    assertThat(count()).isEqualTo(199);
    // every connection the pool hands out answers: none was left dead by the big row
    List<Connection> all = new ArrayList<>();
    try {
      for (int i = 0; i < pool.getMaximumPoolSize(); i++) {
        Connection c = pool.getConnection();
        all.add(c);
        assertThat(c.isValid(5)).as("pooled connection %d", i).isTrue();
      }
    } finally {
      for (Connection c : all) {
        c.close();
      }
    }
  }

  /** What became of each item sent through a batcher in one batch. */
  private record Outcome(List<Integer> failed, List<String> failedStates,
      List<String> failedMessages, BatcherMetrics metrics) {}

  private static <T> Outcome throughBatcher(JdbcSink<T> sink, List<T> items) throws Exception {
    List<CompletableFuture<Void>> futures = new ArrayList<>(items.size());
    BatcherMetrics metrics;
    try (Batcher<T> batcher = Batcher.builder(sink).maxBatchSize(items.size())
        .queueCapacity(items.size()).maxDelay(Duration.ofSeconds(10))
        .deliveryTimeout(Duration.ofSeconds(60)).build()) {
      for (T item : items) {
        futures.add(batcher.submit(item));
      }
      batcher.flush().get(60, TimeUnit.SECONDS);
      metrics = batcher.metrics();
    }
    List<Integer> failed = new ArrayList<>();
    List<String> states = new ArrayList<>();
    List<String> messages = new ArrayList<>();
    for (int i = 0; i < futures.size(); i++) {
      try {
        futures.get(i).get(30, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        failed.add(i);
        Throwable t = e.getCause();
        while (t != null && !(t instanceof SQLException)) {
          t = t.getCause();
        }
        states.add(t == null ? null : ((SQLException) t).getSQLState());
        messages.add(t == null ? String.valueOf(e.getCause()) : t.getMessage());
      }
    }
    return new Outcome(failed, states, messages, metrics);
  }

  private long count() throws SQLException {
    try (Connection c = pool.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
