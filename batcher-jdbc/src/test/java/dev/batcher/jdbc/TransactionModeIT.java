package dev.batcher.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.batcher.BatchResult;
import java.sql.Connection;
import java.sql.JDBCType;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How a batch's transaction runs, on PostgreSQL: a batch sent as one statement runs in
 * autocommit (the statement is its own transaction: one round trip, no COMMIT), a batch of
 * several statements in one transaction that is committed or rolled back whole; either way the
 * connection goes back to the pool with the autocommit it came with.
 */
class TransactionModeIT {
  record Row(long id, @Nullable String name) {}

  private final String table = "txmode_" + ProcessHandle.current().pid();
  private HikariDataSource autoCommitOn;
  private HikariDataSource autoCommitOff;

  @BeforeEach
  void createTable() throws Exception {
    autoCommitOn = TestDatabases.postgres();
    HikariConfig c = new HikariConfig();
    c.setJdbcUrl(autoCommitOn.getJdbcUrl());
    c.setMaximumPoolSize(1); // the connection the sink used is the one the test borrows after
    c.setAutoCommit(false);
    autoCommitOff = new HikariDataSource(c);
    TestDatabases.exec(autoCommitOn, "DROP TABLE IF EXISTS " + table,
        "CREATE TABLE " + table + " (id bigint primary key, name text not null)");
  }

  @AfterEach
  void dropTable() throws Exception {
    TestDatabases.exec(autoCommitOn, "DROP TABLE IF EXISTS " + table);
    autoCommitOff.close();
    autoCommitOn.close();
  }

  private JdbcSink<Row> sink(HikariDataSource ds, WriteStrategy strategy) {
    return JdbcSink.<Row>builder(ds).table(table)
        .column("id", JDBCType.BIGINT, Row::id)
        .column("name", JDBCType.VARCHAR, Row::name)
        .strategy(strategy).build();
  }

  private static List<Row> rows(int n) {
    List<Row> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new Row(i, "row-" + i));
    }
    return out;
  }

  @Test
  void oneStatement_runsInAutocommit_oneRoundTrip_committed() throws Exception {
    for (WriteStrategy s : List.of(WriteStrategy.UNNEST, WriteStrategy.MULTI_ROW)) {
      JdbcSink<Row> sink = sink(autoCommitOn, s);
      assertThat(sink.write(rows(3)).isSuccess()).isTrue();
      assertThat(sink.statements()).as("%s", s).isEqualTo(1);
      assertThat(sink.roundTrips()).as("%s: the statement, no COMMIT", s).isEqualTo(1);
      assertThat(stored()).isEqualTo(3);
      TestDatabases.exec(autoCommitOn, "DELETE FROM " + table);
    }
    JdbcSink<Row> copy = sink(autoCommitOn, WriteStrategy.COPY);
    assertThat(copy.write(rows(3)).isSuccess()).isTrue();
    assertThat(copy.roundTrips()).as("COPY: its start and its end, no BEGIN or COMMIT")
        .isEqualTo(2);
    assertThat(stored()).isEqualTo(3);
  }

  @Test
  void oneStatement_onAPoolWithAutocommitOff_isCommitted_connectionGivenBackAsItCame()
      throws Exception {
    JdbcSink<Row> sink = sink(autoCommitOff, WriteStrategy.UNNEST);
    assertThat(sink.write(rows(3)).isSuccess()).isTrue();

    assertThat(stored()).as("seen from another connection: committed").isEqualTo(3);
    try (Connection c = autoCommitOff.getConnection()) {
      assertThat(c.getAutoCommit()).isFalse();
    }
  }

  @Test
  void severalStatements_runInOneTransaction_committedOnce_connectionGivenBackAsItCame()
      throws Exception {
    JdbcSink<Row> sink = sink(autoCommitOff, WriteStrategy.ONE_BY_ONE);
    assertThat(sink.write(rows(3)).isSuccess()).isTrue();

    assertThat(sink.statements()).isEqualTo(3);
    assertThat(sink.roundTrips()).as("3 INSERTs and the COMMIT").isEqualTo(4);
    assertThat(stored()).isEqualTo(3);
    try (Connection c = autoCommitOff.getConnection()) {
      assertThat(c.getAutoCommit()).isFalse();
    }
  }

  @Test
  void severalStatements_oneFailing_rollsBackTheOthers() throws Exception {
    JdbcSink<Row> sink = sink(autoCommitOn, WriteStrategy.ONE_BY_ONE);
    List<Row> batch = new ArrayList<>(rows(3));
    batch.add(new Row(99, null)); // NOT NULL, after three INSERTs went through

    BatchResult r = sink.write(batch);

    assertThat(r.outcome(3)).isEqualTo(BatchResult.Outcome.FAILED_PERMANENTLY);
    assertThat(r.outcome(0)).isEqualTo(BatchResult.Outcome.NOT_ATTEMPTED);
    assertThat(stored()).as("the three earlier INSERTs rolled back").isZero();
    try (Connection c = autoCommitOn.getConnection()) {
      assertThat(c.getAutoCommit()).isTrue();
    }
  }

  private long stored() throws Exception {
    try (Connection c = autoCommitOn.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
