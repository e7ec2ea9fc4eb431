package dev.batcher.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.batcher.Batcher;
import dev.batcher.ItemWriteException;
import dev.batcher.jdbc.internal.SqlErrors;
import java.sql.JDBCType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A table or column that does not exist is about no item: the whole batch fails after one
 * statement (H2 refuses it at prepare, so none is counted), every item after one attempt with the
 * database's 42xxx error, and the batcher never splits it.
 */
class MissingObjectsIT {
  /** Measured facts, at INFO: written to target/test.log (see logback-test.xml). */
  private static final Logger LOG = LoggerFactory.getLogger(MissingObjectsIT.class);

  private static final int N = 5_000;

  record Row(long id, String name) {}

  @ParameterizedTest
  @EnumSource(Dialect.class)
  void missingTable_failsEveryItemAfterOneStatement(Dialect dialect) throws Exception {
    try (HikariDataSource ds = TestDatabases.of(dialect)) {
      String table = "missing_" + ProcessHandle.current().pid();
      TestDatabases.exec(ds, "DROP TABLE IF EXISTS " + dialect.quote("table", table));
      assertFailsWhole(dialect, sink(ds, dialect, table, "name"));
    }
  }

  @ParameterizedTest
  @EnumSource(Dialect.class)
  void missingColumn_failsEveryItemAfterOneStatement(Dialect dialect) throws Exception {
    try (HikariDataSource ds = TestDatabases.of(dialect)) {
      String table = "no_column_" + ProcessHandle.current().pid();
      String q = dialect.quote("table", table);
      TestDatabases.exec(ds, "DROP TABLE IF EXISTS " + q, "CREATE TABLE " + q + " ("
          + dialect.quote("column", "id") + " bigint primary key, "
          + dialect.quote("column", "name") + " varchar(50))");
      try {
        assertFailsWhole(dialect, sink(ds, dialect, table, "no_such_column"));
      } finally {
        TestDatabases.exec(ds, "DROP TABLE IF EXISTS " + q);
      }
    }
  }

  private static JdbcSink<Row> sink(HikariDataSource ds, Dialect dialect, String table,
      String nameColumn) {
    return JdbcSink.<Row>builder(ds).dialect(dialect).table(table)
        .column("id", JDBCType.BIGINT, Row::id)
        .column(nameColumn, JDBCType.VARCHAR, Row::name)
        .strategy(WriteStrategy.MULTI_ROW)
        .build();
  }

  private static void assertFailsWhole(Dialect dialect, JdbcSink<Row> sink) throws Exception {
    List<CompletableFuture<Void>> futures = new ArrayList<>();
    long bisections;
    try (Batcher<Row> batcher = Batcher.builder(sink).maxBatchSize(N)
        .maxDelay(Duration.ofMinutes(10)).deliveryTimeout(Duration.ofMinutes(20)).build()) {
      for (int i = 0; i < N; i++) {
        futures.add(batcher.submit(new Row(i, "r" + i)));
      }
      batcher.flush().get(1, TimeUnit.MINUTES);
      for (CompletableFuture<Void> f : futures) {
        assertThat(f).failsWithin(Duration.ofMinutes(1))
            .withThrowableOfType(ExecutionException.class)
            .havingCause().isInstanceOfSatisfying(ItemWriteException.class, e -> {
              assertThat(e.attempts()).isEqualTo(1);
              assertThat(e.splits()).isZero();
              assertThat(SqlErrors.sqlState(e)).startsWith("42");
            });
      }
      bisections = batcher.metrics().bisections();
    }
    LOG.info("missing object on {}: {} statement(s), {} bisections", dialect,
        sink.statements(), bisections);
    // H2 refuses it while preparing, before it counts as sent; the servers when executing it.
    assertThat(sink.statements()).isEqualTo(dialect == Dialect.H2 ? 0 : 1);
    assertThat(bisections).isZero();
  }
}
