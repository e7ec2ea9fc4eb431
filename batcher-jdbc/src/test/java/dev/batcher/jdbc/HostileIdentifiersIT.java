package dev.batcher.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.JDBCType;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A table and a column named with a double quote, a backtick, a semicolon, a space, mixed case or
 * an SQL injection attempt: the rows land in exactly that table and column, and nothing else
 * happens (the table {@code x} that {@code DROP TABLE x; --} names is still there).
 */
class HostileIdentifiersIT {
  private static final List<String> NAMES = List.of("we\"ird", "back`tick", "semi;colon",
      "with space", "MixedCase", "DROP TABLE x; --");

  record Row(long id, String value) {}

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (Dialect d : Dialect.values()) {
      for (String name : NAMES) {
        out.add(Arguments.of(d, name));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} [{1}]")
  @MethodSource("cases")
  void rowsLandInExactlyThatTableAndColumn(Dialect dialect, String name) throws Exception {
    try (HikariDataSource ds = TestDatabases.of(dialect)) {
      String table = name + " " + ProcessHandle.current().pid();
      String q = dialect.quote("table", table);
      String x = dialect.quote("table", "x");
      String id = dialect.quote("column", "id");
      TestDatabases.exec(ds, "CREATE TABLE IF NOT EXISTS " + x + " (" + id + " int)",
          "DROP TABLE IF EXISTS " + q, "CREATE TABLE " + q + " (" + id + " bigint primary key, "
              + dialect.quote("column", name) + " varchar(50) not null)");
      try {
        JdbcSink<Row> sink = JdbcSink.<Row>builder(ds).dialect(dialect).table(table)
            .column("id", JDBCType.BIGINT, Row::id)
            .column(name, JDBCType.VARCHAR, Row::value)
            .strategy(WriteStrategy.MULTI_ROW)
            .build();

        assertThat(sink.write(List.of(new Row(1, "a"), new Row(2, name))).isSuccess()).isTrue();

        List<String> stored = new ArrayList<>();
        try (Connection c = ds.getConnection(); Statement s = c.createStatement();
            ResultSet rs = s.executeQuery("SELECT " + dialect.quote("column", name) + " FROM "
                + q + " ORDER BY " + id)) {
          while (rs.next()) {
            stored.add(rs.getString(1));
          }
        }
        assertThat(stored).containsExactly("a", name);
        TestDatabases.exec(ds, "SELECT count(*) FROM " + x); // still there
      } finally {
        TestDatabases.exec(ds, "DROP TABLE IF EXISTS " + q);
      }
    }
  }
}
