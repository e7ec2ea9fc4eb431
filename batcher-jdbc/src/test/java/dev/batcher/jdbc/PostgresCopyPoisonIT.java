package dev.batcher.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.batcher.Batcher;
import dev.batcher.ItemWriteException;
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
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * COPY pinpoints a poison row by the line the server names: in a batch of 5,000 rows, one of them a
 * poison (a NOT NULL violation, or a NUL in text) at the edges and in the middle, every good row
 * is written exactly once, the poison alone fails with its SQLState, and the batch costs at most
 * two statements: the failed COPY and the resend of the others. The batcher never splits it.
 */
class PostgresCopyPoisonIT {
  /** Measured facts, at INFO: written to target/test.log (see logback-test.xml). */
  private static final Logger LOG = LoggerFactory.getLogger(PostgresCopyPoisonIT.class);

  /** One batch: 4,999 good rows and the poison, so positions 0 and 4,999 are its first and last. */
  private static final int BATCH = 5_000;
  private static final int GOOD = BATCH - 1;

  record Row(long id, @Nullable String name) {}

  private final String table = "copy_poison_" + ProcessHandle.current().pid();
  private HikariDataSource ds;

  @BeforeEach
  void createTable() throws Exception {
    ds = TestDatabases.postgres();
    TestDatabases.exec(ds, "DROP TABLE IF EXISTS " + table,
        "CREATE TABLE " + table + " (id bigint primary key, name varchar(200) not null)");
  }

  @AfterEach
  void dropTable() throws Exception {
    TestDatabases.exec(ds, "DROP TABLE IF EXISTS " + table);
    ds.close();
  }

  @ParameterizedTest(name = "{0} at {1}")
  @CsvSource({"NOT_NULL, 0", "NOT_NULL, 1", "NOT_NULL, 2500", "NOT_NULL, 4998",
      "NOT_NULL, 4999", "NUL, 0", "NUL, 1", "NUL, 2500", "NUL, 4998", "NUL, 4999"})
  void poison_isFailedAlone_goodRowsWrittenOnce_twoStatements(String kind, int position)
      throws Exception {
    JdbcSink<Row> sink = JdbcSink.<Row>builder(ds).table(table)
        .column("id", JDBCType.BIGINT, Row::id)
        .column("name", JDBCType.VARCHAR, Row::name)
        .strategy(WriteStrategy.COPY)
        .build();
    Row poison = kind.equals("NUL") ? new Row(-1, "before\0after") : new Row(-1, null);
    List<CompletableFuture<Void>> good = new ArrayList<>();
    CompletableFuture<Void> poisoned;
    try (Batcher<Row> batcher = Batcher.builder(sink).maxBatchSize(BATCH)
        .maxDelay(Duration.ofSeconds(60)).build()) {
      CompletableFuture<Void> p = null;
      for (int i = 0, id = 0; i < BATCH; i++) {
        if (i == position) {
          p = batcher.submit(poison);
        } else {
          good.add(batcher.submit(new Row(id, "good-" + id++)));
        }
      }
      poisoned = p;
      batcher.flush().get(30, TimeUnit.SECONDS);
    }

    for (CompletableFuture<Void> f : good) {
      assertThat(f).isCompleted();
      f.get(); // throws if a good row failed
    }
    assertThat(poisoned).isCompletedExceptionally();
    try {
      poisoned.get();
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(ItemWriteException.class);
      assertThat(sqlStates(e.getCause())).contains(kind.equals("NUL") ? "22021" : "23502");
    }
    assertThat(countsById()).as("every good row once").hasSize(GOOD).allMatch(n -> n == 1);
    LOG.info("COPY poison " + kind + " at " + position + ": " + sink.statements()
        + " statements, " + sink.roundTrips() + " round trips");
    assertThat(sink.statements()).isBetween(1L, 2L);
  }

  private static List<String> sqlStates(Throwable failure) {
    List<String> states = new ArrayList<>();
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof SQLException s && s.getSQLState() != null) {
        states.add(s.getSQLState());
      }
    }
    return states;
  }

  private List<Long> countsById() throws Exception {
    List<Long> counts = new ArrayList<>();
    try (Connection c = ds.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table
            + " WHERE id >= 0 GROUP BY id")) {
      while (rs.next()) {
        counts.add(rs.getLong(1));
      }
    }
    return counts;
  }
}
