package dev.batcher.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.JDBCType;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How a multi-row batch's transaction runs on MariaDB, whose sinks have a byte budget: a batch
 * whose rows fit one statement within the budget runs in autocommit (one round trip, no BEGIN or
 * COMMIT), and so do the keyed strategies' batches; a batch over the budget goes in chunks, in one
 * transaction that a failing chunk rolls back whole.
 */
class MariaDbTransactionModeIT {
  record Row(long id, @Nullable String name) {}

  private final String table = "txmode_" + ProcessHandle.current().pid();
  private HikariDataSource pool;

  @BeforeEach
  void createTable() throws Exception {
    pool = TestDatabases.mariadb();
    TestDatabases.exec(pool, "DROP TABLE IF EXISTS " + table,
        "CREATE TABLE " + table + " (id bigint primary key, name varchar(100) not null)");
  }

  @AfterEach
  void dropTable() throws Exception {
    TestDatabases.exec(pool, "DROP TABLE IF EXISTS " + table);
    pool.close();
  }

  private JdbcSink.Builder<Row> builder(WriteStrategy strategy) {
    JdbcSink.Builder<Row> b = JdbcSink.<Row>builder(pool).dialect(Dialect.MARIADB).table(table)
        .column("id", JDBCType.BIGINT, Row::id)
        .column("name", JDBCType.VARCHAR, Row::name)
        .strategy(strategy);
    return strategy == WriteStrategy.MULTI_ROW ? b : b.keyColumns("id");
  }

  private static List<Row> rows(int n) {
    List<Row> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new Row(i, "row-" + i));
    }
    return out;
  }

  private long stored() throws Exception {
    try (Connection c = pool.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void withinTheBudget_oneStatementInAutocommit_oneRoundTrip() throws Exception {
    for (WriteStrategy s : List.of(WriteStrategy.MULTI_ROW, WriteStrategy.UPSERT,
        WriteStrategy.INSERT_IGNORE)) {
      JdbcSink<Row> sink = builder(s).build();
      assertThat(sink.write(rows(1_000)).isSuccess()).isTrue();
      assertThat(sink.statements()).as("%s", s).isEqualTo(1);
      assertThat(sink.roundTrips()).as("%s: the statement, no BEGIN or COMMIT", s).isEqualTo(1);
      assertThat(stored()).isEqualTo(1_000);
      TestDatabases.exec(pool, "DELETE FROM " + table);
    }
  }

  @Test
  void overTheBudget_chunksInOneTransaction_committedOnce() throws Exception {
    JdbcSink<Row> sink = builder(WriteStrategy.MULTI_ROW).maxStatementBytes(1_000).build();
    assertThat(sink.write(rows(100)).isSuccess()).isTrue();

    long statements = sink.statements();
    assertThat(statements).as("chunks of about 1,000 bytes").isGreaterThan(1);
    assertThat(sink.roundTrips()).as("the chunks and the COMMIT").isEqualTo(statements + 1);
    assertThat(stored()).isEqualTo(100);
  }

  @Test
  void overTheBudget_aFailingLastChunk_rollsBackTheEarlierOnes() throws Exception {
    JdbcSink<Row> sink = builder(WriteStrategy.MULTI_ROW).maxStatementBytes(1_000).build();
    List<Row> batch = new ArrayList<>(rows(100));
    batch.set(99, new Row(99, null)); // NOT NULL, in the last chunk

    // an item's fault the database does not pin to a row: thrown, for the batcher to split
    assertThatThrownBy(() -> sink.write(batch)).isInstanceOf(SQLException.class)
        .hasMessageContaining("cannot be null");

    assertThat(sink.statements()).isGreaterThan(1);
    assertThat(stored()).as("the earlier chunks rolled back").isZero();
  }
}
