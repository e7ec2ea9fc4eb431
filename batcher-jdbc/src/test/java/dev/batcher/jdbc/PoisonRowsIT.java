package dev.batcher.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.batcher.Batcher;
import dev.batcher.InMemoryDeadLetters;
import dev.batcher.ItemWriteException;
import dev.batcher.jdbc.internal.SqlErrors;
import java.sql.Connection;
import java.sql.JDBCType;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
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
 * One poison row among 5,000 good ones, of each kind, at the edges and in the middle, with every
 * strategy on every dialect that supports it: every good row is written exactly once, the poison
 * is dead-lettered with its SQLState, and what the batch costs stays bounded as the issue bounds
 * it: at most 2 sends when the poison is pinpointed, at most 2·log2(n) + 2 when the batcher bisects.
 *
 * <p>The unit of that bound is a send of the batch or of part of it, a call to the sink
 * ({@link CountingSink}): for the strategies that send a batch as one statement (MULTI_ROW, UNNEST,
 * COPY and the keyed ones, at 5,000 rows of three columns) that is one statement, and their
 * statements are bounded the same; ONE_BY_ONE and JDBC_BATCH send a row per statement, so their
 * statements are bounded by rows sent instead: 2n when pinpointed (the batch, then the others),
 * 3n + log2(n) when bisected (the batch, both halves, then both halves of the failing half at each
 * level: n + n + ⌈n/2⌉ + ⌈n/4⌉ + ..., each halving rounding up by at most one row).
 *
 * <p>The matrix, to keep the module's build within a few minutes: every strategy on every dialect
 * takes a CHECK violation (the one poison every strategy can meet) at all five positions, and each
 * other poison at one position, a different one per kind (see {@link Poison#position}) so that the
 * edges and the middle each meet several kinds. That is about 150 cases instead of 360; the whole
 * matrix took 46 to 120 s on a shared two-core machine, this part about 40 % of it. {@link
 * PostgresCopyPoisonIT} adds NOT_NULL and NUL at all five positions for COPY.
 *
 * <p>Which poison applies to which strategy: a duplicate key is what UPSERT and INSERT_IGNORE are
 * for (it updates or is skipped, not a poison), and COUNTER_MERGE adds deltas, so its poison is a
 * delta that breaks the CHECK; MariaDB and H2 store a NUL, so it is a poison on PostgreSQL only.
 */
class PoisonRowsIT {
  /** Measured facts, at INFO: written to target/test.log (see logback-test.xml). */
  private static final Logger LOG = LoggerFactory.getLogger(PoisonRowsIT.class);

  private static final int N = 5_000;
  private static final long EXISTING_ID = 1_000_000;
  private static final int[] POSITIONS = {0, 1, N / 2, N - 2, N - 1};
  private static final AtomicInteger TABLES = new AtomicInteger();
  private static final Map<Dialect, HikariDataSource> POOLS = new EnumMap<>(Dialect.class);

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

    /** The one position a poison other than CHECK is tried at. */
    int position() {
      switch (this) {
        case DUPLICATE_KEY:
          return N - 1;
        case NOT_NULL:
          return 0;
        case OVERSIZE:
          return N / 2;
        case NUL_CHARACTER:
          return 1;
        case CHECK:
        default:
          return N - 2;
      }
    }

    boolean appliesTo(Dialect d, WriteStrategy s) {
      if (s == WriteStrategy.COUNTER_MERGE) {
        return this == CHECK;
      } else if (this == DUPLICATE_KEY) {
        return s != WriteStrategy.UPSERT && s != WriteStrategy.INSERT_IGNORE;
      }
      return this != NUL_CHARACTER || d == Dialect.POSTGRESQL;
    }
  }

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (Dialect d : Dialect.values()) {
      for (WriteStrategy s : WriteStrategy.values()) {
        if (!d.supports(s)) {
          continue;
        }
        for (Poison p : Poison.values()) {
          if (!p.appliesTo(d, s)) {
            continue;
          }
          if (p == Poison.CHECK) {
            for (int pos : POSITIONS) {
              out.add(Arguments.of(d, s, p, pos));
            }
          } else {
            out.add(Arguments.of(d, s, p, p.position()));
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
  @ValueSource(ints = {1, N / 2, N - 1})
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
    boolean counter = strategy == WriteStrategy.COUNTER_MERGE;
    TestDatabases.exec(ds, "DROP TABLE IF EXISTS " + q,
        "CREATE TABLE " + q + " (" + id + " bigint primary key, " + name
            + " varchar(10) " + (counter ? "default 'counter'" : "not null") + ", " + qty
            + " int not null, CONSTRAINT " + dialect.quote("constraint", table + "_qty")
            + " CHECK (" + qty + " >= 0))",
        "INSERT INTO " + q + " (" + id + ", " + name + ", " + qty + ") VALUES (" + EXISTING_ID
            + ", 'old', 0)");
    try {
      JdbcSink.Builder<Row> b = JdbcSink.<Row>builder(ds).dialect(dialect).table(table)
          .column("id", JDBCType.BIGINT, Row::id);
      if (!counter) { // COUNTER_MERGE adds every value column: only the int
        b.column("name", JDBCType.VARCHAR, Row::name);
      }
      b.column("qty", JDBCType.INTEGER, Row::qty).strategy(strategy);
      if (dialect == Dialect.MARIADB || strategy == WriteStrategy.UPSERT
          || strategy == WriteStrategy.INSERT_IGNORE || counter) {
        b.keyColumns("id"); // MariaDB names a duplicate's values, not its columns
      }
      JdbcSink<Row> jdbc = b.build();
      CountingSink<Row> sink = new CountingSink<>(jdbc);
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

      // The row already there, untouched, and each good row once (the key is the primary key;
      // its qty shows a counter merge applied it once).
      Map<Long, Integer> stored = storedQuantities(ds, q, id, qty);
      assertThat(stored).hasSize(N).containsEntry(EXISTING_ID, 0);
      for (int i = 0; i < N; i++) {
        if (i != position) {
          assertThat(stored).containsEntry(i + 1L, i);
        }
      }
      assertThat(dead.letters()).singleElement().satisfies(l -> {
        assertThat(l.item()).isEqualTo(poison.row());
        assertThat(SqlErrors.sqlState(l.cause())).startsWith(poison.statePrefix);
      });
      long sends = sink.calls();
      long statements = jdbc.statements();
      LOG.info("poison {} {} {} at {}: {} sends, {} statements, {} round trips, {} bisections, "
          + "state {}", dialect, strategy, poison, position, sends, statements,
          jdbc.roundTrips(), bisections, SqlErrors.sqlState(dead.letters().get(0).cause()));
      long bound = bisections == 0 ? 2 : 2 * log2Ceil(N) + 2;
      assertThat(sends).as("sends of the batch or part of it").isLessThanOrEqualTo(bound);
      boolean perRow = strategy == WriteStrategy.ONE_BY_ONE
          || strategy == WriteStrategy.JDBC_BATCH;
      assertThat(statements).isLessThanOrEqualTo(
          !perRow ? bound : bisections == 0 ? 2L * N : 3L * N + log2Ceil(N));
      return bisections;
    } finally {
      TestDatabases.exec(ds, "DROP TABLE IF EXISTS " + q);
    }
  }

  /** Where the sink must name the poison without splitting the batch. */
  private static boolean expectPinpoint(Dialect d, WriteStrategy s, Poison p) {
    switch (s) {
      case ONE_BY_ONE:
      case COPY: // by the line the server names
        return true;
      case JDBC_BATCH: // MariaDB Connector/J marks every entry failed
        return d != Dialect.MARIADB || p == Poison.DUPLICATE_KEY;
      case MULTI_ROW: // by the key the server names (H2's message names none that is parsed)
        return p == Poison.DUPLICATE_KEY && d != Dialect.H2;
      case UNNEST: // by the key; a NUL is refused before the statement, when the arrays are built
        return p == Poison.DUPLICATE_KEY || p == Poison.NUL_CHARACTER;
      case UPSERT:
      case INSERT_IGNORE: // on PostgreSQL these send arrays too
        return p == Poison.NUL_CHARACTER;
      default:
        return false;
    }
  }

  private static long log2Ceil(int n) {
    return 32 - Integer.numberOfLeadingZeros(n - 1);
  }

  private static Map<Long, Integer> storedQuantities(HikariDataSource ds, String q, String id,
      String qty) throws Exception {
    Map<Long, Integer> rows = new HashMap<>();
    try (Connection c = ds.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT " + id + ", " + qty + " FROM " + q)) {
      while (rs.next()) {
        assertThat(rows.put(rs.getLong(1), rs.getInt(2))).as("id %s once", rs.getLong(1))
            .isNull();
      }
    }
    return rows;
  }

  @AfterAll
  static void closePools() {
    POOLS.values().forEach(HikariDataSource::close);
    POOLS.clear();
  }
}
