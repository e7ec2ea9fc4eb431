package dev.batcher.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.batcher.BatchResult;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.JDBCType;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How a batch's transaction runs, on PostgreSQL: a batch sent as one statement runs in
 * autocommit (the statement is its own transaction: one round trip, no COMMIT), a batch of
 * several statements in one transaction that is committed or rolled back whole; either way the
 * connection goes back with the autocommit it came with. The connection is a single physical one
 * whose {@code close()} is ignored, so nothing (HikariCP resets autocommit on return) hides what
 * the sink left behind.
 */
class TransactionModeIT {
  record Row(long id, @Nullable String name) {}

  private final String table = "txmode_" + ProcessHandle.current().pid();
  private HikariDataSource pool;
  private Connection physical;

  @BeforeEach
  void createTable() throws Exception {
    pool = TestDatabases.postgres();
    physical = DriverManager.getConnection(pool.getJdbcUrl());
    TestDatabases.exec(pool, "DROP TABLE IF EXISTS " + table,
        "CREATE TABLE " + table + " (id bigint primary key, name text not null)");
  }

  @AfterEach
  void dropTable() throws Exception {
    physical.close();
    TestDatabases.exec(pool, "DROP TABLE IF EXISTS " + table);
    pool.close();
  }

  /** {@link #physical} as a DataSource: every getConnection() is it; close() does nothing. */
  private DataSource oneConnection(boolean autoCommit) throws SQLException {
    physical.setAutoCommit(autoCommit);
    Connection unclosable = (Connection) Proxy.newProxyInstance(
        Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
        (proxy, method, args) -> {
          if (method.getName().equals("close")) {
            return null;
          }
          try {
            return method.invoke(physical, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
    return (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(),
        new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
          if (method.getName().equals("getConnection")) {
            return unclosable;
          }
          throw new UnsupportedOperationException(method.getName());
        });
  }

  private JdbcSink<Row> sink(DataSource ds, WriteStrategy strategy) {
    return JdbcSink.<Row>builder(ds).dialect(Dialect.POSTGRESQL).table(table)
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
      JdbcSink<Row> sink = sink(oneConnection(true), s);
      assertThat(sink.write(rows(3)).isSuccess()).isTrue();
      assertThat(sink.statements()).as("%s", s).isEqualTo(1);
      assertThat(sink.roundTrips()).as("%s: the statement, no COMMIT", s).isEqualTo(1);
      assertThat(stored()).isEqualTo(3);
      assertThat(physical.getAutoCommit()).isTrue();
      TestDatabases.exec(pool, "DELETE FROM " + table);
    }
    JdbcSink<Row> copy = sink(oneConnection(true), WriteStrategy.COPY);
    assertThat(copy.write(rows(3)).isSuccess()).isTrue();
    assertThat(copy.roundTrips()).as("COPY: its start and its end, no BEGIN or COMMIT")
        .isEqualTo(2);
    assertThat(stored()).isEqualTo(3);
  }

  @Test
  void oneStatement_onAPoolWithAutocommitOff_isCommitted_connectionGivenBackAsItCame()
      throws Exception {
    JdbcSink<Row> sink = sink(oneConnection(false), WriteStrategy.UNNEST);
    assertThat(sink.write(rows(3)).isSuccess()).isTrue();

    assertThat(stored()).as("seen from another connection: committed").isEqualTo(3);
    assertThat(physical.getAutoCommit()).isFalse();
  }

  @Test
  void severalStatements_runInOneTransaction_committedOnce_connectionGivenBackAsItCame()
      throws Exception {
    for (boolean autoCommit : List.of(true, false)) {
      JdbcSink<Row> sink = sink(oneConnection(autoCommit), WriteStrategy.ONE_BY_ONE);
      assertThat(sink.write(rows(3)).isSuccess()).isTrue();

      assertThat(sink.statements()).isEqualTo(3);
      assertThat(sink.roundTrips()).as("3 INSERTs and the COMMIT").isEqualTo(4);
      assertThat(stored()).as("seen from another connection: committed").isEqualTo(3);
      assertThat(physical.getAutoCommit()).isEqualTo(autoCommit);
      TestDatabases.exec(pool, "DELETE FROM " + table);
    }
  }

  @Test
  void severalStatements_oneFailing_rollsBackTheOthers() throws Exception {
    JdbcSink<Row> sink = sink(oneConnection(true), WriteStrategy.ONE_BY_ONE);
    List<Row> batch = new ArrayList<>(rows(3));
    batch.add(new Row(99, null)); // NOT NULL, after three INSERTs went through

    BatchResult r = sink.write(batch);

    assertThat(r.outcome(3)).isEqualTo(BatchResult.Outcome.FAILED_PERMANENTLY);
    assertThat(r.outcome(0)).isEqualTo(BatchResult.Outcome.NOT_ATTEMPTED);
    assertThat(stored()).as("the three earlier INSERTs rolled back").isZero();
    assertThat(physical.getAutoCommit()).isTrue();
  }

  @Test
  void autocommitThatCannotBeSet_failsTheBatchRetryably_andTheConnectionIsGivenBack()
      throws Exception {
    AtomicInteger closed = new AtomicInteger();
    AtomicInteger aborted = new AtomicInteger();
    Connection refusing = (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(),
        new Class<?>[] {Connection.class}, (proxy, method, args) -> {
          switch (method.getName()) {
            case "close":
              closed.incrementAndGet();
              return null;
            case "abort":
              aborted.incrementAndGet();
              return null;
            case "setAutoCommit":
              throw new SQLException("connection lost (test)", "08006");
            default:
              try {
                return method.invoke(physical, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
          }
        });
    physical.setAutoCommit(false); // so an UNNEST batch has to turn autocommit on
    DataSource ds = (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(),
        new Class<?>[] {DataSource.class}, (proxy, method, args) -> refusing);

    BatchResult r = sink(ds, WriteStrategy.UNNEST).write(rows(3));

    assertThat(r.batchFailure()).isInstanceOf(java.sql.SQLTransientException.class);
    assertThat(aborted).as("a lost connection is aborted, not reused").hasValue(1);
    assertThat(closed).as("and given back").hasValue(1);
    assertThat(stored()).isZero();
  }

  private long stored() throws Exception {
    try (Connection c = pool.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
