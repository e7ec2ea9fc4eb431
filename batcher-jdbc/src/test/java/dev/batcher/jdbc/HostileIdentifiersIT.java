package dev.batcher.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.JDBCType;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A table and a column named with a double quote, a backtick, a semicolon, a space, a dot, mixed
 * case, a reserved word, non-ASCII letters or an SQL injection attempt, written with every strategy
 * of every dialect: the rows land in exactly that table and column, and nothing else happens (the
 * table {@code x} that {@code DROP TABLE x; --} names is still there).
 *
 * <p>The table is named exactly the hostile name (so {@code select} is a table called select), in
 * a schema of this test run's own ({@code hostile_<pid>}; on MariaDB a database) so that runs
 * side by side on one server do not collide.
 */
class HostileIdentifiersIT {
  private static final List<String> NAMES = List.of("we\"ird", "back`tick", "semi;colon",
      "with space", "MixedCase", "a.b", "order", "select", "DROP TABLE x; --", "Ünï côde");
  /**
   * An astral code point (an emoji): PostgreSQL and H2 hold it in a name; MariaDB does not (its
   * identifiers are utf8mb3), so the sink refuses such a name at build there ({@code DialectTest}).
   */
  private static final String ASTRAL = "Ünï😀 côde";
  private static final String SCHEMA = "hostile_" + ProcessHandle.current().pid();
  private static final Map<Dialect, HikariDataSource> POOLS = new EnumMap<>(Dialect.class);

  record Row(long id, Object value) {}

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (Dialect d : Dialect.values()) {
      for (WriteStrategy s : WriteStrategy.values()) {
        if (!d.supports(s)) {
          continue;
        }
        for (String name : NAMES) {
          out.add(Arguments.of(d, s, name));
        }
        if (d != Dialect.MARIADB) {
          out.add(Arguments.of(d, s, ASTRAL));
        }
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {1} [{2}]")
  @MethodSource("cases")
  void rowsLandInExactlyThatTableAndColumn(Dialect dialect, WriteStrategy strategy, String name)
      throws Exception {
    HikariDataSource ds = POOLS.computeIfAbsent(dialect, HostileIdentifiersIT::open);
    String q = dialect.quoteTable(SCHEMA, name);
    String x = dialect.quote("table", "x");
    String id = dialect.quote("column", "id");
    String column = dialect.quote("column", name);
    // COUNTER_MERGE adds its value columns: the hostile column holds a number there.
    boolean counter = strategy == WriteStrategy.COUNTER_MERGE;
    TestDatabases.exec(ds, "CREATE TABLE IF NOT EXISTS " + x + " (" + id + " int)",
        "DROP TABLE IF EXISTS " + q, "CREATE TABLE " + q + " (" + id + " bigint primary key, "
            + column + (counter ? " bigint" : " varchar(50)") + " not null)");
    try {
      JdbcSink.Builder<Row> b = JdbcSink.<Row>builder(ds).dialect(dialect).table(SCHEMA, name)
          .column("id", JDBCType.BIGINT, Row::id)
          .column(name, counter ? JDBCType.BIGINT : JDBCType.VARCHAR, Row::value)
          .strategy(strategy);
      if (strategy == WriteStrategy.UPSERT || strategy == WriteStrategy.INSERT_IGNORE || counter) {
        b.keyColumns("id");
      }
      JdbcSink<Row> sink = b.build();

      List<Row> rows = counter ? List.of(new Row(1, 5L), new Row(2, 7L))
          : List.of(new Row(1, "a"), new Row(2, name));
      assertThat(sink.write(rows).isSuccess()).isTrue();

      List<String> stored = new ArrayList<>();
      try (Connection c = ds.getConnection(); Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT " + column + " FROM " + q + " ORDER BY " + id)) {
        while (rs.next()) {
          stored.add(rs.getString(1));
        }
      }
      assertThat(stored).containsExactlyElementsOf(
          rows.stream().map(r -> String.valueOf(r.value())).toList());
      TestDatabases.exec(ds, "SELECT count(*) FROM " + x); // still there
    } finally {
      TestDatabases.exec(ds, "DROP TABLE IF EXISTS " + q);
    }
  }

  /** A pool on {@code dialect}'s database, with this run's schema created. */
  private static HikariDataSource open(Dialect dialect) {
    HikariDataSource ds = TestDatabases.of(dialect);
    try {
      TestDatabases.exec(ds, (dialect == Dialect.MARIADB ? "CREATE DATABASE IF NOT EXISTS "
          : "CREATE SCHEMA IF NOT EXISTS ") + dialect.quote("schema", SCHEMA));
    } catch (Exception e) {
      ds.close();
      throw new AssertionError("could not create schema " + SCHEMA + " on " + dialect, e);
    }
    return ds;
  }

  @AfterAll
  static void dropSchemasAndClosePools() throws Exception {
    for (Map.Entry<Dialect, HikariDataSource> e : POOLS.entrySet()) {
      Dialect d = e.getKey();
      try (HikariDataSource ds = e.getValue()) {
        TestDatabases.exec(ds, d == Dialect.MARIADB
            ? "DROP DATABASE IF EXISTS " + d.quote("schema", SCHEMA)
            : "DROP SCHEMA IF EXISTS " + d.quote("schema", SCHEMA) + " CASCADE");
      }
    }
    POOLS.clear();
  }
}
