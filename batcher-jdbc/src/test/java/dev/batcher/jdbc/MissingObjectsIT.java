package dev.batcher.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.batcher.Batcher;
import dev.batcher.ItemWriteException;
import dev.batcher.jdbc.internal.SqlErrors;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.JDBCType;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Errors about no item fail the whole batch at once, with every strategy of every dialect: a table
 * or column that does not exist (42xxx), a statement with a syntax error (42xxx) and a user the
 * database refuses (28xxx). The batch is sent once (one call to the sink), every item fails after
 * one attempt with the database's SQLState, and the batcher never splits it.
 */
class MissingObjectsIT {
  /** Measured facts, at INFO: written to target/test.log (see logback-test.xml). */
  private static final Logger LOG = LoggerFactory.getLogger(MissingObjectsIT.class);

  private static final int N = 5_000;
  private static final Map<Dialect, HikariDataSource> POOLS = new EnumMap<>(Dialect.class);

  record Row(long id, String name, long count) {}

  static Stream<Arguments> strategies() {
    List<Arguments> out = new ArrayList<>();
    for (Dialect d : Dialect.values()) {
      for (WriteStrategy s : WriteStrategy.values()) {
        if (d.supports(s)) {
          out.add(Arguments.of(d, s));
        }
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("strategies")
  void missingTable_failsEveryItemAtOnce(Dialect dialect, WriteStrategy strategy)
      throws Exception {
    HikariDataSource ds = pool(dialect);
    String table = "missing_" + ProcessHandle.current().pid();
    TestDatabases.exec(ds, "DROP TABLE IF EXISTS " + dialect.quote("table", table));
    assertFailsWhole(dialect, strategy, sink(ds, dialect, strategy, table, "name"), "42");
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("strategies")
  void missingColumn_failsEveryItemAtOnce(Dialect dialect, WriteStrategy strategy)
      throws Exception {
    HikariDataSource ds = pool(dialect);
    String table = "no_column_" + ProcessHandle.current().pid() + "_" + strategy;
    String q = dialect.quote("table", table);
    TestDatabases.exec(ds, "DROP TABLE IF EXISTS " + q, "CREATE TABLE " + q + " ("
        + dialect.quote("column", "id") + " bigint primary key, "
        + dialect.quote("column", "name") + " varchar(50), "
        + dialect.quote("column", "count") + " bigint)");
    try {
      assertFailsWhole(dialect, strategy,
          sink(ds, dialect, strategy, table, "no_such_column"), "42");
    } finally {
      TestDatabases.exec(ds, "DROP TABLE IF EXISTS " + q);
    }
  }

  static Stream<Arguments> statementStrategies() {
    List<Arguments> out = new ArrayList<>();
    for (Dialect d : Dialect.values()) {
      out.add(Arguments.of(d, WriteStrategy.ONE_BY_ONE));
      out.add(Arguments.of(d, WriteStrategy.JDBC_BATCH));
    }
    return out.stream();
  }

  /** The SQL form of the builder: a statement the database cannot parse (42601, 42000). */
  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("statementStrategies")
  void syntaxError_failsEveryItemAtOnce(Dialect dialect, WriteStrategy strategy)
      throws Exception {
    assertStatementFailsWhole(dialect, strategy, "syntax", "VALUES (?, ?", "42"); // no ')'
  }

  /**
   * The SQL form of the builder with more values than the table has columns: 21S01 on MariaDB,
   * 21S02 on H2, 42601 on PostgreSQL; a mistake in the statement, so no split either.
   */
  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("statementStrategies")
  void valuesNotMatchingTheColumns_failEveryItemAtOnce(Dialect dialect, WriteStrategy strategy)
      throws Exception {
    assertStatementFailsWhole(dialect, strategy, "arity", "VALUES (?, ?, 1)", // 3 values, 2 columns
        dialect == Dialect.POSTGRESQL ? "42" : "21");
  }

  /**
   * Builds a statement sink of {@code INSERT INTO t <values>} over a new two-column table (id,
   * name) named after {@code prefix}, binding each row's id and name, and asserts that a batch
   * fails whole with a state starting {@code statePrefix}.
   */
  private static void assertStatementFailsWhole(Dialect dialect, WriteStrategy strategy,
      String prefix, String values, String statePrefix) throws Exception {
    HikariDataSource ds = pool(dialect);
    String q = dialect.quote("table",
        prefix + "_" + ProcessHandle.current().pid() + "_" + strategy);
    TestDatabases.exec(ds, "DROP TABLE IF EXISTS " + q, "CREATE TABLE " + q + " ("
        + dialect.quote("column", "id") + " bigint primary key, "
        + dialect.quote("column", "name") + " varchar(50))");
    try {
      JdbcSink<Row> sink = JdbcSink.<Row>builder(ds).dialect(dialect)
          .statement("INSERT INTO " + q + " " + values, (ps, r) -> {
            ps.setLong(1, r.id());
            ps.setString(2, r.name());
          })
          .strategy(strategy)
          .build();
      assertFailsWhole(dialect, strategy, sink, statePrefix);
    } finally {
      TestDatabases.exec(ds, "DROP TABLE IF EXISTS " + q);
    }
  }

  /** A user the database refuses: no connection, so no statement, and no split either. */
  @ParameterizedTest
  @EnumSource(value = Dialect.class, names = {"POSTGRESQL", "MARIADB"})
  void refusedUser_failsEveryItemAtOnce(Dialect dialect) throws Exception {
    pool(dialect); // the database answers: the refusal below is about the user
    DataSource refused = refusedUser(dialect);
    JdbcSink<Row> sink = JdbcSink.<Row>builder(refused).dialect(dialect).table("anything")
        .column("id", JDBCType.BIGINT, Row::id)
        .strategy(WriteStrategy.MULTI_ROW)
        .build();
    assertFailsWhole(dialect, WriteStrategy.MULTI_ROW, sink, "28");
    assertThat(sink.statements()).isZero();
  }

  /** A data source that connects as a user the database does not know. */
  private static DataSource refusedUser(Dialect dialect) {
    String user = "no_such_user_" + ProcessHandle.current().pid();
    String url = dialect == Dialect.POSTGRESQL
        ? System.getenv().getOrDefault(TestDatabases.POSTGRES_VARIABLE,
            TestDatabases.POSTGRES_DEFAULT)
        : System.getenv().getOrDefault(TestDatabases.MARIADB_VARIABLE,
            TestDatabases.MARIADB_DEFAULT);
    String refused = url.replaceAll("([?&])user=[^&]*", "$1user=" + user);
    return new DriverManagerDataSource(refused.contains("user=") ? refused
        : refused + (refused.contains("?") ? "&" : "?") + "user=" + user);
  }

  /** The least of a {@link DataSource}: a new connection from {@link DriverManager} each time. */
  private record DriverManagerDataSource(String url) implements DataSource {
    @Override
    public Connection getConnection() throws SQLException {
      return DriverManager.getConnection(url);
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
      return DriverManager.getConnection(url, username, password);
    }

    @Override
    public @Nullable PrintWriter getLogWriter() {
      return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {}

    @Override
    public void setLoginTimeout(int seconds) {}

    @Override
    public int getLoginTimeout() {
      return 0;
    }

    @Override
    public java.util.logging.Logger getParentLogger() throws SQLFeatureNotSupportedException {
      throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <U> U unwrap(Class<U> iface) throws SQLException {
      throw new SQLException("not a wrapper");
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
      return false;
    }
  }

  private static JdbcSink<Row> sink(HikariDataSource ds, Dialect dialect, WriteStrategy strategy,
      String table, String nameColumn) {
    JdbcSink.Builder<Row> b = JdbcSink.<Row>builder(ds).dialect(dialect).table(table)
        .column("id", JDBCType.BIGINT, Row::id);
    if (strategy == WriteStrategy.COUNTER_MERGE) {
      b.column(nameColumn.equals("name") ? "count" : nameColumn, JDBCType.BIGINT, Row::count);
    } else {
      b.column(nameColumn, JDBCType.VARCHAR, Row::name);
    }
    if (strategy == WriteStrategy.UPSERT || strategy == WriteStrategy.INSERT_IGNORE
        || strategy == WriteStrategy.COUNTER_MERGE) {
      b.keyColumns("id");
    }
    return b.strategy(strategy).build();
  }

  private static void assertFailsWhole(Dialect dialect, WriteStrategy strategy,
      JdbcSink<Row> jdbc, String statePrefix) throws Exception {
    CountingSink<Row> sink = new CountingSink<>(jdbc);
    List<CompletableFuture<Void>> futures = new ArrayList<>();
    long bisections;
    try (Batcher<Row> batcher = Batcher.builder(sink).maxBatchSize(N)
        .maxDelay(Duration.ofMinutes(10)).deliveryTimeout(Duration.ofMinutes(20)).build()) {
      for (int i = 0; i < N; i++) {
        futures.add(batcher.submit(new Row(i, "r" + i, i)));
      }
      batcher.flush().get(1, TimeUnit.MINUTES);
      for (CompletableFuture<Void> f : futures) {
        assertThat(f).failsWithin(Duration.ofMinutes(1))
            .withThrowableOfType(ExecutionException.class)
            .havingCause().isInstanceOfSatisfying(ItemWriteException.class, e -> {
              assertThat(e.attempts()).isEqualTo(1);
              assertThat(e.splits()).isZero();
              assertThat(SqlErrors.sqlState(e)).startsWith(statePrefix);
            });
      }
      bisections = batcher.metrics().bisections();
    }
    LOG.info("no-item error on {} {}: {} call(s), {} statement(s), {} round trip(s), "
        + "{} bisections", dialect, strategy, sink.calls(), jdbc.statements(),
        jdbc.roundTrips(), bisections);
    assertThat(sink.calls()).as("sends of the batch").isEqualTo(1);
    assertThat(bisections).isZero();
    // One statement at most, refused (H2 refuses it while preparing, before it counts as sent);
    // a JDBC batch counts its rows as statements, but it too is sent once.
    assertThat(jdbc.statements())
        .isLessThanOrEqualTo(strategy == WriteStrategy.JDBC_BATCH ? N : 1);
  }

  private static HikariDataSource pool(Dialect dialect) {
    return POOLS.computeIfAbsent(dialect, TestDatabases::of);
  }

  @AfterAll
  static void closePools() {
    POOLS.values().forEach(HikariDataSource::close);
    POOLS.clear();
  }
}
