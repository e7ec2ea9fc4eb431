package dev.batcher.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.batcher.Batcher;
import dev.batcher.DeadLetter;
import dev.batcher.InMemoryDeadLetters;
import dev.batcher.ItemWriteException;
import dev.batcher.jdbc.internal.SqlErrors;
import java.sql.Connection;
import java.sql.JDBCType;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One poison row among 5,000 good ones, of each kind, at the edges and in the middle, with each
 * row-wise strategy on each dialect: every good row is written exactly once, the poison is
 * dead-lettered with its SQLState, and the statements sent stay bounded (two sends of the batch
 * when the poison is pinpointed, a bisection's worth when not).
 */
class PoisonRowsIT {
  /** Measured facts, at INFO: written to target/test.log (see logback-test.xml). */
  private static final Logger LOG = LoggerFactory.getLogger(PoisonRowsIT.class);

  private static final int N = 5_000;
  private static final long EXISTING_ID = 1_000_000;
  private static final int[] POSITIONS = {0, 1, 2_500, 4_998, 4_999};
  private static final AtomicInteger TABLES = new AtomicInteger();
  private static final Map<Dialect, HikariDataSource> POOLS = new HashMap<>();

  /** One row: its key, a varchar(10) NOT NULL, and an int that must not be negative. */
  record Row(long id, @Nullable String name, int qty) {}

  /** What makes the poison row fail, and the SQLState prefix it fails with. */
  enum Poison {
    DUPLICATE_KEY("23"),
    NOT_NULL("23"),
    CHECK("23"),
    OVERSIZE("22"),
    NUL_CHARACTER("22");

    final String statePrefix;

    Poison(String statePrefix) {
      this.statePrefix = statePrefix;
    }

    Row row() {
      switch (this) {
        case DUPLICATE_KEY:
          return new Row(EXISTING_ID, "dup", 1);
        case NOT_NULL:
          return new Row(900_000, null, 1);
        case CHECK:
          return new Row(900_000, "check", -1);
        case OVERSIZE:
          return new Row(900_000, "eleven-char", 1);
        case NUL_CHARACTER:
        default:
          return new Row(900_000, "a\0b", 1);
      }
    }
  }

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (Dialect d : Dialect.values()) {
      for (WriteStrategy s : List.of(WriteStrategy.MULTI_ROW, WriteStrategy.JDBC_BATCH,
          WriteStrategy.ONE_BY_ONE)) {
        for (Poison p : Poison.values()) {
          if (p == Poison.NUL_CHARACTER && d != Dialect.POSTGRESQL) {
            continue; // MariaDB and H2 store a NUL
          }
          // Every position on PostgreSQL's multi-row and batch; the edges and middle elsewhere.
          boolean full = d == Dialect.POSTGRESQL && s != WriteStrategy.ONE_BY_ONE;
          for (int pos : POSITIONS) {
            if (full || pos == 0 || pos == 2_500 || pos == N - 1) {
              out.add(Arguments.of(d, s, p, pos));
            }
          }
        }
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {1} {2} at {3}")
  @MethodSource("cases")
  void poisonRow_isDeadLettered_andEveryGoodRowWrittenOnce(Dialect dialect,
      WriteStrategy strategy, Poison poison, int position) throws Exception {
    HikariDataSource ds = POOLS.computeIfAbsent(dialect, TestDatabases::of);
    long bisections = run(ds, dialect, strategy, poison, position);
    if (expectPinpoint(dialect, strategy, poison)) {
      assertThat(bisections).as("pinpointed, not bisected").isZero();
    }
  }

  /**
   * pgjdbc told to rewrite batched inserts names a rewritten statement in "Batch entry N", not
   * the item: the sink must not pinpoint by it (a wrong pinpoint would fail a good row).
   */
  @ParameterizedTest(name = "NOT_NULL at {0}")
  @ValueSource(ints = {1, 2_500, 4_999})
  void postgresRewritingBatches_isNotPinpointedByEntry(int position) throws Exception {
    HikariConfig config = new HikariConfig();
    String url = System.getenv().getOrDefault(TestDatabases.POSTGRES_VARIABLE,
        TestDatabases.POSTGRES_DEFAULT);
    config.setJdbcUrl(url + (url.contains("?") ? "&" : "?") + "reWriteBatchedInserts=true");
    config.setMaximumPoolSize(2);
    try (HikariDataSource ds = new HikariDataSource(config)) {
      run(ds, Dialect.POSTGRESQL, WriteStrategy.JDBC_BATCH, Poison.NOT_NULL, position);
    }
  }

  /** Writes the rows with the poison at {@code position}, checks them; returns bisections. */
  private static long run(HikariDataSource ds, Dialect dialect, WriteStrategy strategy,
      Poison poison, int position) throws Exception {
    String table = "poison_" + ProcessHandle.current().pid() + "_" + TABLES.incrementAndGet();
    String q = dialect.quote("table", table);
    String id = dialect.quote("column", "id");
    String name = dialect.quote("column", "name");
    String qty = dialect.quote("column", "qty");
    TestDatabases.exec(ds, "DROP TABLE IF EXISTS " + q,
        "CREATE TABLE " + q + " (" + id + " bigint primary key, " + name
            + " varchar(10) not null, " + qty + " int not null, CONSTRAINT "
            + dialect.quote("constraint", table + "_qty") + " CHECK (" + qty + " >= 0))",
        "INSERT INTO " + q + " (" + id + ", " + name + ", " + qty + ") VALUES (" + EXISTING_ID
            + ", 'old', 0)");
    try {
      JdbcSink.Builder<Row> b = JdbcSink.<Row>builder(ds).dialect(dialect).table(table)
          .column("id", JDBCType.BIGINT, Row::id)
          .column("name", JDBCType.VARCHAR, Row::name)
          .column("qty", JDBCType.INTEGER, Row::qty)
          .strategy(strategy);
      if (dialect == Dialect.MARIADB) {
        b.keyColumns("id"); // MariaDB names a duplicate's values, not its columns
      }
      JdbcSink<Row> sink = b.build();
      InMemoryDeadLetters<Row> dead = new InMemoryDeadLetters<>();
      List<Row> rows = new ArrayList<>();
      for (int i = 0; i < N; i++) {
        rows.add(i == position ? poison.row() : new Row(i + 1, "g" + i, i));
      }
      long bisections;
      List<CompletableFuture<Void>> futures = new ArrayList<>();
      try (Batcher<Row> batcher = Batcher.builder(sink).maxBatchSize(N)
          .maxDelay(Duration.ofMinutes(10)).deliveryTimeout(Duration.ofMinutes(20))
          .deadLetterHandler(dead).idFunction(Row::id).build()) {
        for (Row r : rows) {
          futures.add(batcher.submit(r));
        }
        batcher.flush().get(2, TimeUnit.MINUTES);
        for (int i = 0; i < N; i++) {
          if (i == position) {
            assertThat(futures.get(i)).failsWithin(Duration.ofMinutes(1))
                .withThrowableOfType(ExecutionException.class)
                .withCauseInstanceOf(ItemWriteException.class);
          } else {
            futures.get(i).get(1, TimeUnit.MINUTES);
          }
        }
        bisections = batcher.metrics().bisections();
      }

      // The row already there, and each good row once (the key is the primary key).
      assertThat(storedIds(ds, q)).hasSize(N).contains(EXISTING_ID)
          .containsAll(goodIds(position));
      assertThat(dead.letters()).singleElement().satisfies(l -> {
        assertThat(l.item()).isEqualTo(poison.row());
        assertThat(SqlErrors.sqlState(l.cause())).startsWith(poison.statePrefix);
      });
      long statements = sink.statements();
      // Per send of the batch: one statement (MULTI_ROW), or one per row (JDBC_BATCH, ONE_BY_ONE).
      long perRow = strategy == WriteStrategy.MULTI_ROW ? 1 : N;
      long bound = bisections == 0 ? 2 * perRow
          : strategy == WriteStrategy.MULTI_ROW ? 2 * log2Ceil(N) + 2 : 2L * N * (log2Ceil(N) + 1);
      LOG.info("poison {} {} {} at {}: {} statements, {} bisections, state {}",
          dialect, strategy, poison, position, statements, bisections,
          SqlErrors.sqlState(dead.letters().get(0).cause()));
      assertThat(statements).isLessThanOrEqualTo(bound);
      return bisections;
    } finally {
      TestDatabases.exec(ds, "DROP TABLE IF EXISTS " + q);
    }
  }

  /** Where the sink must name the poison without splitting the batch. */
  private static boolean expectPinpoint(Dialect d, WriteStrategy s, Poison p) {
    if (s == WriteStrategy.ONE_BY_ONE) {
      return true;
    } else if (s == WriteStrategy.JDBC_BATCH) {
      return d != Dialect.MARIADB || p == Poison.DUPLICATE_KEY;
    }
    return p == Poison.DUPLICATE_KEY && d != Dialect.H2;
  }

  private static long log2Ceil(int n) {
    return 32 - Integer.numberOfLeadingZeros(n - 1);
  }

  private static List<Long> goodIds(int position) {
    List<Long> ids = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      if (i != position) {
        ids.add(i + 1L);
      }
    }
    return ids;
  }

  private static List<Long> storedIds(HikariDataSource ds, String q) throws Exception {
    List<Long> ids = new ArrayList<>();
    try (Connection c = ds.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT * FROM " + q)) {
      while (rs.next()) {
        ids.add(rs.getLong(1));
      }
    }
    return ids;
  }

  @AfterAll
  static void closePools() {
    POOLS.values().forEach(HikariDataSource::close);
    POOLS.clear();
  }
}
