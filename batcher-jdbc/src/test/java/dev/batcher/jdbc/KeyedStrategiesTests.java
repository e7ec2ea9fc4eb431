package dev.batcher.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import dev.batcher.BatchResult;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.JDBCType;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * UPSERT, INSERT_IGNORE and COUNTER_MERGE against one real database, the sink called directly so
 * that each test controls its batches: what each strategy promises about repeated keys, redelivery,
 * poison items, exact counters, update-only misses and concurrent batches in opposite key orders.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
abstract class KeyedStrategiesTests {
  private static final AtomicInteger TABLES = new AtomicInteger();

  /** A row of the upsert table: a key, a NOT NULL name and a nullable decimal. */
  record Item(long id, @Nullable String name, @Nullable BigDecimal amount) {}

  /** A counter increment: a key and a delta. */
  record Delta(long id, @Nullable Long delta) {}

  private @Nullable HikariDataSource ds;
  private final List<String> tables = new ArrayList<>();

  /** The dialect under test. */
  abstract Dialect dialect();

  @BeforeEach
  void open() {
    ds = TestDatabases.of(dialect());
  }

  @AfterEach
  void close() throws SQLException {
    for (String t : tables) {
      TestDatabases.exec(pool(), "DROP TABLE IF EXISTS " + q(t));
    }
    pool().close();
  }

  // ------------------------------------------------------------------------------ UPSERT

  @Test
  void upsert_insertsThenUpdates() throws Exception {
    JdbcSink<Item> sink = itemSink(WriteStrategy.UPSERT);
    assertThat(sink.write(List.of(item(1, "a"), item(2, "b"))).isSuccess()).isTrue();
    assertThat(sink.write(List.of(item(1, "a2"), item(3, "c"))).isSuccess()).isTrue();
    assertThat(names()).containsExactly(Map.entry(1L, "a2"), Map.entry(2L, "b"),
        Map.entry(3L, "c"));
    assertThat(sink.statements()).isEqualTo(2);
  }

  @Test
  void upsert_repeatedKeysInOneBatch_lastWinsAndEveryItemSucceeds() throws Exception {
    JdbcSink<Item> sink = itemSink(WriteStrategy.UPSERT);
    BatchResult r = sink.write(List.of(item(1, "a"), item(2, "b"), item(1, "c"), item(1, "d"),
        item(2, "e"), item(3, "f")));
    assertThat(r.isSuccess()).isTrue();
    assertThat(names()).containsExactly(Map.entry(1L, "d"), Map.entry(2L, "e"),
        Map.entry(3L, "f"));
    assertThat(sink.statements()).isEqualTo(1);
  }

  @Test
  void upsert_valuesRoundTrip() throws Exception {
    JdbcSink<Item> sink = itemSink(WriteStrategy.UPSERT);
    List<Item> items = List.of(new Item(1, "it's \"quoted\"; -- ü 😀", new BigDecimal("12.345")),
        new Item(2, "", null), new Item(Long.MAX_VALUE, "max", new BigDecimal("-0.001")));
    assertThat(sink.write(items).isSuccess()).isTrue();
    assertThat(sink.write(items).isSuccess()).isTrue(); // the update path writes them as well
    assertThat(items()).containsExactlyInAnyOrderElementsOf(items);
  }

  // ------------------------------------------------------------------------ INSERT_IGNORE

  @Test
  void insertIgnore_redeliveredBatch_writesEachRowOnce() throws Exception {
    JdbcSink<Item> sink = itemSink(WriteStrategy.INSERT_IGNORE);
    List<Item> batch = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      batch.add(item(i, "first-" + i));
    }
    assertThat(sink.write(batch).isSuccess()).isTrue();
    List<Item> again = batch.stream().map(it -> item(it.id(), "again-" + it.id())).toList();
    assertThat(sink.write(again).isSuccess()).isTrue();
    assertThat(items()).containsExactlyInAnyOrderElementsOf(batch);
  }

  @Test
  void insertIgnore_repeatedKeysInOneBatch_firstWinsAndEveryItemSucceeds() throws Exception {
    JdbcSink<Item> sink = itemSink(WriteStrategy.INSERT_IGNORE);
    BatchResult r = sink.write(List.of(item(1, "a"), item(2, "b"), item(1, "c")));
    assertThat(r.isSuccess()).isTrue();
    assertThat(names()).containsExactly(Map.entry(1L, "a"), Map.entry(2L, "b"));
  }

  @Test
  void insertIgnore_notNullViolation_isStillAnError() throws Exception {
    JdbcSink<Item> sink = itemSink(WriteStrategy.INSERT_IGNORE);
    sink.write(List.of(item(1, "a")));
    // An atomic sink throws for the batcher to split; the contract ITs show the split isolating
    // the poison while the others succeed.
    assertThatThrownBy(() -> sink.write(List.of(item(2, "b"), new Item(3, null, null),
        item(1, "dup")))).isInstanceOf(SQLException.class)
        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isIn("23502", "23000",
            "HY000", "22004"));
    assertThat(names()).containsExactly(Map.entry(1L, "a"));
  }

  // ------------------------------------------------------------------------ COUNTER_MERGE

  @Test
  void counterMerge_tenThousandIncrements_exactCounters_oneStatementPerBatch() throws Exception {
    JdbcSink<Delta> sink = counterSink(false);
    List<Delta> all = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      all.add(new Delta(i % 100, 1L));
    }
    Collections.shuffle(all, new Random(42));
    for (int start = 0; start < all.size(); start += 1_000) {
      assertThat(sink.write(all.subList(start, start + 1_000)).isSuccess()).isTrue();
    }
    Map<Long, Long> counters = counters();
    assertThat(counters).hasSize(100);
    assertThat(counters.values()).allMatch(v -> v == 100);
    assertThat(sink.statements()).isEqualTo(10); // 10 batches of 1,000 items over 100 keys
  }

  @Test
  void keyed_fortyThousandKeysInOneBatch_exact_statementsAsTheDialectSends() throws Exception {
    // 40,000 rows of 2 columns pass the 65,535 bind parameters of one multi-row statement:
    // PostgreSQL sends them as arrays in one statement, the others in two chunks.
    JdbcSink<Delta> sink = counterSink(false);
    List<Delta> batch = new ArrayList<>();
    for (int i = 0; i < 40_000; i++) {
      batch.add(new Delta(i, 3L));
    }
    Collections.shuffle(batch, new Random(7));
    assertThat(sink.write(batch).isSuccess()).isTrue();
    assertThat(sink.write(batch).isSuccess()).isTrue();
    assertThat(counters()).hasSize(40_000).allSatisfy((k, v) -> assertThat(v).isEqualTo(6));
    assertThat(sink.statements()).isEqualTo(dialect() == Dialect.POSTGRESQL ? 2 : 4);
  }

  @Test
  void counterMerge_updateOnly_missingKeysFailWith02000_othersApplied() throws Exception {
    JdbcSink<Delta> sink = counterSink(true);
    for (long k = 0; k < 10; k++) {
      TestDatabases.exec(pool(), "INSERT INTO " + q(tables.get(0)) + " VALUES (" + k + ", 0)");
    }
    List<Delta> batch = new ArrayList<>();
    for (int round = 0; round < 3; round++) {
      for (long k = 0; k < 15; k++) {
        batch.add(new Delta(k, k + 1));
      }
    }
    BatchResult r = sink.write(batch);
    assertThat(r.failedCount()).isEqualTo(15);
    for (int i = 0; i < batch.size(); i++) {
      long key = batch.get(i).id();
      if (key < 10) {
        assertThat(r.outcome(i)).isEqualTo(BatchResult.Outcome.SUCCEEDED);
      } else {
        assertThat(r.outcome(i)).isEqualTo(BatchResult.Outcome.FAILED_PERMANENTLY);
        assertThat(r.cause(i)).isInstanceOf(SQLException.class)
            .hasMessageContaining("[" + key + "]");
        assertThat(((SQLException) r.cause(i)).getSQLState()).isEqualTo("02000");
      }
    }
    Map<Long, Long> counters = counters();
    assertThat(counters).hasSize(10);
    counters.forEach((k, v) -> assertThat(v).as("key %s", k).isEqualTo(3 * (k + 1)));
    assertThat(sink.statements()).isEqualTo(2); // lock the existing rows, then merge them
  }

  @Test
  void counterMerge_byteBudget_splitsIntoStatementsAndStaysExact() throws Exception {
    String t = newTable(q("id") + " bigint primary key, " + q("n") + " bigint not null");
    // A row of two numbers is estimated at 8 + 24 + 24 = 56 bytes: 10 rows per statement.
    JdbcSink<Delta> sink = JdbcSink.<Delta>builder(pool()).table(t)
        .column("id", JDBCType.BIGINT, Delta::id)
        .column("n", JDBCType.BIGINT, Delta::delta)
        .keyColumns("id")
        .strategy(WriteStrategy.COUNTER_MERGE)
        .maxStatementBytes(560)
        .build();
    List<Delta> batch = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      batch.add(new Delta(i % 100, 2L));
    }
    assertThat(sink.write(batch).isSuccess()).isTrue();
    assertThat(sink.statements()).isEqualTo(10); // 100 keys after summing, 10 per statement
    assertThat(counters().values()).hasSize(100).allMatch(v -> v == 6);
  }

  @Test
  void counterMerge_compositeKey_updateOnly_failsOnlyTheMissingKey() throws Exception {
    String t = newTable(q("a") + " bigint not null, " + q("b") + " varchar(20) not null, "
        + q("n") + " bigint not null, primary key (" + q("a") + ", " + q("b") + ")");
    TestDatabases.exec(pool(), "INSERT INTO " + q(t) + " VALUES (1, 'x', 10), (2, 'y', 20)");
    JdbcSink<Object[]> updateOnly = JdbcSink.<Object[]>builder(pool()).table(t)
        .column("a", JDBCType.INTEGER, r -> r[0]) // an Integer key: read back as a Long
        .column("b", JDBCType.VARCHAR, r -> r[1])
        .column("n", JDBCType.BIGINT, r -> r[2])
        .keyColumns("a", "b")
        .strategy(WriteStrategy.COUNTER_MERGE)
        .updateOnly(true)
        .build();
    BatchResult r = updateOnly.write(List.of(new Object[] {2, "y", 1L},
        new Object[] {1, "y", 5L}, new Object[] {1, "x", 3L}, new Object[] {2, "y", 4L}));
    assertThat(r.failedCount()).isEqualTo(1);
    assertThat(r.outcome(1)).isEqualTo(BatchResult.Outcome.FAILED_PERMANENTLY);
    assertThat(r.cause(1)).hasMessageContaining("[1, y]");
    Map<String, Long> rows = new TreeMap<>();
    try (Connection c = pool().getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT " + q("a") + ", " + q("b") + ", " + q("n")
            + " FROM " + q(t))) {
      while (rs.next()) {
        rows.put(rs.getLong(1) + rs.getString(2), rs.getLong(3));
      }
    }
    assertThat(rows).containsExactly(Map.entry("1x", 13L), Map.entry("2y", 25L));
  }

  @Test
  void counterMerge_concurrentBatchesInOppositeOrders_neverDeadlock() throws Exception {
    oppositeOrders(false);
  }

  @Test
  void counterMerge_updateOnly_concurrentBatchesInOppositeOrders_neverDeadlock()
      throws Exception {
    oppositeOrders(true);
  }

  /**
   * Two sinks, two connections, the same 5,000 keys in opposite orders, 5 rounds at once. 5,000
   * keys so that the two statements overlap on every database: with 200, PostgreSQL finished one
   * before the other started and passed even with the keys left unsorted (checked: without the sort
   * in {@code CounterMergeWriter} the merge deadlocks on every database in round 0 or 1, the
   * update-only merge on MariaDB and H2; PostgreSQL locks update-only rows in its own order).
   */
  private void oppositeOrders(boolean updateOnly) throws Exception {
    int keys = 5_000;
    int rounds = 5;
    JdbcSink<Delta> up = counterSink(updateOnly);
    JdbcSink<Delta> down = sinkOn(tables.get(0), updateOnly);
    if (updateOnly) {
      List<Delta> zeros = new ArrayList<>();
      for (long k = 0; k < keys; k++) {
        zeros.add(new Delta(k, 0L));
      }
      assertThat(sinkOn(tables.get(0), false).write(zeros).isSuccess()).isTrue();
    }
    List<Delta> ascending = new ArrayList<>();
    for (long k = 0; k < keys; k++) {
      ascending.add(new Delta(k, 1L));
    }
    List<Delta> descending = new ArrayList<>(ascending);
    Collections.reverse(descending);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      for (int round = 0; round < rounds; round++) {
        CountDownLatch start = new CountDownLatch(1);
        Future<BatchResult> a = pool.submit(() -> {
          start.await();
          return up.write(ascending);
        });
        Future<BatchResult> b = pool.submit(() -> {
          start.await();
          return down.write(descending);
        });
        start.countDown();
        BatchResult ra = a.get(30, TimeUnit.SECONDS);
        BatchResult rb = b.get(30, TimeUnit.SECONDS);
        assertThat(ra.isSuccess()).as("round %s ascending: %s", round, ra).isTrue();
        assertThat(rb.isSuccess()).as("round %s descending: %s", round, rb).isTrue();
      }
    } finally {
      pool.shutdownNow();
    }
    Map<Long, Long> counters = counters();
    assertThat(counters).hasSize(keys);
    assertThat(counters.values()).allMatch(v -> v == 2L * rounds);
  }

  // ------------------------------------------------------------------------------ helpers

  private static Item item(long id, String name) {
    return new Item(id, name, null);
  }

  private HikariDataSource pool() {
    return java.util.Objects.requireNonNull(ds);
  }

  private String q(String identifier) {
    return identifier.startsWith("keyed_") ? dialect().quote("table", identifier)
        : dialect().quote("column", identifier);
  }

  private String newTable(String columns) throws SQLException {
    String t = "keyed_" + ProcessHandle.current().pid() + "_" + TABLES.incrementAndGet();
    tables.add(t);
    TestDatabases.exec(pool(), "DROP TABLE IF EXISTS " + q(t),
        "CREATE TABLE " + q(t) + " (" + columns + ")");
    return t;
  }

  JdbcSink<Item> itemSink(WriteStrategy strategy) throws SQLException {
    String t = newTable(q("id") + " bigint primary key, " + q("name") + " varchar(200) not null, "
        + q("amount") + " decimal(12,3)");
    return JdbcSink.<Item>builder(pool()).table(t)
        .column("id", JDBCType.BIGINT, Item::id)
        .column("name", JDBCType.VARCHAR, Item::name)
        .column("amount", JDBCType.DECIMAL, Item::amount)
        .keyColumns("id")
        .strategy(strategy)
        .build();
  }

  private JdbcSink<Delta> counterSink(boolean updateOnly) throws SQLException {
    String t = newTable(q("id") + " bigint primary key, " + q("n") + " bigint not null");
    return sinkOn(t, updateOnly);
  }

  private JdbcSink<Delta> sinkOn(String table, boolean updateOnly) {
    JdbcSink.Builder<Delta> b = JdbcSink.<Delta>builder(pool()).table(table)
        .column("id", JDBCType.BIGINT, Delta::id)
        .column("n", JDBCType.BIGINT, Delta::delta)
        .keyColumns("id")
        .strategy(WriteStrategy.COUNTER_MERGE);
    if (updateOnly) {
      b.updateOnly(true);
    }
    return b.build();
  }

  Map<Long, String> names() throws SQLException {
    Map<Long, String> out = new TreeMap<>();
    for (Item i : items()) {
      out.put(i.id(), i.name());
    }
    return out;
  }

  private List<Item> items() throws SQLException {
    List<Item> out = new ArrayList<>();
    try (Connection c = pool().getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT " + q("id") + ", " + q("name") + ", " + q("amount")
            + " FROM " + q(tables.get(0)))) {
      while (rs.next()) {
        out.add(new Item(rs.getLong(1), rs.getString(2), rs.getBigDecimal(3))); // scale 3
      }
    }
    return out;
  }

  private Map<Long, Long> counters() throws SQLException {
    Map<Long, Long> out = new TreeMap<>();
    try (Connection c = pool().getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT " + q("id") + ", " + q("n") + " FROM "
            + q(tables.get(0)))) {
      while (rs.next()) {
        out.put(rs.getLong(1), rs.getLong(2));
      }
    }
    return out;
  }
}
