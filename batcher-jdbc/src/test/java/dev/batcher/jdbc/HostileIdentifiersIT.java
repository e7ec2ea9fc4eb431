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
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
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
 *
 * <p>Names MariaDB refuses (whitespace at the end, {@code #mysql50#}, columns differing only in
 * case) are shown refused by the server and refused by the sink at build.
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

  /**
   * Names MariaDB cannot hold: the server refuses each (its error code proves it), and the sink
   * refuses the same name at build, with a message naming it, before any statement is sent.
   */
  @Test
  void mariadbNamesTheServerRefuses_areRefusedAtBuild() throws Exception {
    HikariDataSource ds = POOLS.computeIfAbsent(Dialect.MARIADB, HostileIdentifiersIT::open);
    String schema = "`" + SCHEMA + "`";
    // A table, a column and a database name ending in whitespace; a table named #mysql50#...
    assertServerRefuses(ds, 1103, "CREATE TABLE " + schema + ".`trail ` (id bigint)");
    assertServerRefuses(ds, 1103, "CREATE TABLE " + schema + ".`tab\t` (id bigint)");
    assertServerRefuses(ds, 1166, "CREATE TABLE " + schema + ".`ok` (`id ` bigint)");
    assertServerRefuses(ds, 1102, "CREATE DATABASE `trail `");
    assertServerRefuses(ds, 1103, "CREATE TABLE " + schema + ".`#mysql50#x` (id bigint)");
    assertThatThrownBy(() -> JdbcSink.<Long>builder(ds).table(SCHEMA, "trail ")
        .column("id", JDBCType.BIGINT, r -> r).build()) // dialect detected from the server
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("table name 'trail ' ends with whitespace (U+0020), which MARIADB refuses at"
            + " the end of a name");
    assertThatThrownBy(() -> JdbcSink.<Long>builder(ds).table(SCHEMA, "tab\t")
        .column("id", JDBCType.BIGINT, r -> r).build())
        .hasMessage("table name 'tab\t' ends with whitespace (U+0009), which MARIADB refuses at"
            + " the end of a name");
    assertThatThrownBy(() -> JdbcSink.<Long>builder(ds).table(SCHEMA, "ok")
        .column("id ", JDBCType.BIGINT, r -> r).build())
        .hasMessage("column name 'id ' ends with whitespace (U+0020), which MARIADB refuses at"
            + " the end of a name");
    assertThatThrownBy(() -> JdbcSink.<Long>builder(ds).table("trail ", "ok")
        .column("id", JDBCType.BIGINT, r -> r).build())
        .hasMessage("schema name 'trail ' ends with whitespace (U+0020), which MARIADB refuses at"
            + " the end of a name");
    assertThatThrownBy(() -> JdbcSink.<Long>builder(ds).table(SCHEMA, "#mysql50#x")
        .column("id", JDBCType.BIGINT, r -> r).build())
        .hasMessage("table name '#mysql50#x' starts with #mysql50#, which MARIADB keeps for names"
            + " from before MySQL 5.1 and refuses in a table name");
  }

  /**
   * MariaDB column names are case-insensitive: a statement naming {@code Ab} and {@code aB} is
   * refused whole (1110, "Column 'Ab' specified twice"), so the sink refuses the pair at build.
   */
  @Test
  void mariadbColumnsDifferingOnlyInCase_areRefusedAtBuild() throws Exception {
    HikariDataSource ds = POOLS.computeIfAbsent(Dialect.MARIADB, HostileIdentifiersIT::open);
    String q = "`" + SCHEMA + "`.`cased`";
    TestDatabases.exec(ds, "DROP TABLE IF EXISTS " + q, "CREATE TABLE " + q + " (`Ab` bigint)");
    try {
      assertServerRefuses(ds, 1110, "INSERT INTO " + q + " (`Ab`, `aB`) VALUES (1, 2)");
      assertThatThrownBy(() -> JdbcSink.<Long>builder(ds).table(SCHEMA, "cased")
          .column("Ab", JDBCType.BIGINT, r -> r).column("aB", JDBCType.BIGINT, r -> r).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("columns 'Ab' and 'aB' differ only in case, and MARIADB column names are"
              + " case-insensitive: they name one column");
    } finally {
      TestDatabases.exec(ds, "DROP TABLE IF EXISTS " + q);
    }
  }

  private static void assertServerRefuses(HikariDataSource ds, int errorCode, String sql) {
    assertThatThrownBy(() -> TestDatabases.exec(ds, sql))
        .as(sql).isInstanceOf(SQLException.class)
        .satisfies(e -> assertThat(((SQLException) e).getErrorCode()).isEqualTo(errorCode));
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
