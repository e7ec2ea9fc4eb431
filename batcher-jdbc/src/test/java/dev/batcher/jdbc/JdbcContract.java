package dev.batcher.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import dev.batcher.BatchSink;
import dev.batcher.testing.BatchSinkContractTest;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLTransientConnectionException;
import java.sql.JDBCType;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;

/**
 * The sink contract (batcher-core's {@link BatchSinkContractTest}) for a {@link JdbcSink} on one
 * dialect and strategy: a fresh table per test, whose NOT NULL column the poison items violate.
 */
abstract class JdbcContract extends BatchSinkContractTest<JdbcContract.Row> {
  private static final AtomicInteger TABLES = new AtomicInteger();

  /** One row: a key and a name that must not be null. */
  record Row(long id, @Nullable String name) {}

  private @Nullable HikariDataSource ds;
  private String table = "";

  /** The dialect under test. */
  abstract Dialect dialect();

  /** The strategy under test. */
  abstract WriteStrategy strategy();

  /**
   * The key columns the sink is given: none by default; {@code "id"} for the keyed strategies.
   * Under {@link WriteStrategy#COUNTER_MERGE} the {@code name} column is a NOT NULL counter, and a
   * good item's name is its delta in digits.
   */
  String[] keyColumns() {
    return new String[0];
  }

  private boolean counter() {
    return strategy() == WriteStrategy.COUNTER_MERGE;
  }

  @Override
  protected BatchSink<Row> createSink() throws Exception {
    HikariDataSource pool = TestDatabases.of(dialect());
    ds = pool;
    table = "contract_" + ProcessHandle.current().pid() + "_" + TABLES.incrementAndGet();
    String q = dialect().quote("table", table); // as the sink names it: exactly, case kept
    TestDatabases.exec(pool, "DROP TABLE IF EXISTS " + q,
        "CREATE TABLE " + q + " (" + dialect().quote("column", "id") + " bigint primary key, "
            + dialect().quote("column", "name") + (counter() ? " bigint" : " varchar(200)")
            + " not null)");
    JdbcSink.Builder<Row> b = JdbcSink.<Row>builder(flaky(pool)).table(table)
        .column("id", JDBCType.BIGINT, Row::id);
    if (counter()) {
      b.column("name", JDBCType.BIGINT, r -> r.name() == null ? null : Long.valueOf(r.name()));
    } else {
      b.column("name", JDBCType.VARCHAR, Row::name);
    }
    if (keyColumns().length > 0) {
      b.keyColumns(keyColumns());
    }
    return b.strategy(strategy()).build();
  }

  /** Makes the next connection the sink asks for fail with a transient connection error. */
  @Override
  protected boolean armTransientFailure() {
    failNextConnection.set(true);
    return true;
  }

  private final AtomicBoolean failNextConnection = new AtomicBoolean();

  /** {@code ds}, but failing one getConnection() after {@link #armTransientFailure()}. */
  private DataSource flaky(DataSource ds) {
    return (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(),
        new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
          if (method.getName().equals("getConnection")
              && failNextConnection.compareAndSet(true, false)) {
            throw new SQLTransientConnectionException("connection refused (armed)", "08001");
          }
          try {
            return method.invoke(ds, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  @Override
  protected Row goodItem(int i) {
    return new Row(i, counter() ? String.valueOf(i) : "good-" + i);
  }

  @Override
  protected Row poisonItem(int i) {
    return new Row(1_000_000 + i, null); // violates NOT NULL: 23502 / 1048 / 23502
  }

  @Override
  protected Collection<Row> stored() throws Exception {
    List<Row> rows = new ArrayList<>();
    try (Connection c = ds.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT " + dialect().quote("column", "id") + ", "
            + dialect().quote("column", "name") + " FROM " + dialect().quote("table", table))) {
      while (rs.next()) {
        rows.add(new Row(rs.getLong(1), rs.getString(2)));
      }
    }
    return rows;
  }

  @AfterEach
  void dropTable() throws Exception {
    if (ds != null) {
      TestDatabases.exec(ds, "DROP TABLE IF EXISTS " + dialect().quote("table", table));
      ds.close();
    }
  }
}
