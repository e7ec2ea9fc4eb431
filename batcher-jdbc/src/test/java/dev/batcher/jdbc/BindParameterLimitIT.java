package dev.batcher.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.batcher.BatchResult;
import java.sql.Connection;
import java.sql.JDBCType;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL's protocol carries at most 65,535 bind parameters per statement: MULTI_ROW with 7
 * columns puts at most 9,362 rows in one statement, so 20,000 rows take exactly 3.
 */
class BindParameterLimitIT {

  record Row(long id) {}

  @Test
  void multiRowWithSevenColumns_splitsAt9362Rows() throws Exception {
    try (HikariDataSource ds = TestDatabases.postgres()) {
      String table = "bind_limit_" + ProcessHandle.current().pid();
      TestDatabases.exec(ds, "DROP TABLE IF EXISTS " + table, "CREATE TABLE " + table
          + " (c1 bigint primary key, c2 bigint, c3 bigint, c4 bigint, c5 bigint, c6 bigint,"
          + " c7 bigint)");
      try {
        JdbcSink.Builder<Row> b = JdbcSink.<Row>builder(ds).table(table)
            .strategy(WriteStrategy.MULTI_ROW);
        b.column("c1", JDBCType.BIGINT, Row::id);
        for (int c = 2; c <= 7; c++) {
          long k = c;
          b.column("c" + c, JDBCType.BIGINT, r -> r.id() * k);
        }
        JdbcSink<Row> sink = b.build();
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
          rows.add(new Row(i));
        }

        BatchResult result = sink.write(rows);

        assertThat(result.isSuccess()).isTrue();
        assertThat(sink.statements()).isEqualTo(3); // 9,362 + 9,362 + 1,276
        try (Connection c = ds.getConnection(); Statement s = c.createStatement();
            ResultSet rs = s.executeQuery("SELECT count(*), sum(c7) FROM " + table)) {
          rs.next();
          assertThat(rs.getLong(1)).isEqualTo(20_000);
          assertThat(rs.getLong(2)).isEqualTo(7L * 19_999 * 20_000 / 2);
        }
      } finally {
        TestDatabases.exec(ds, "DROP TABLE IF EXISTS " + table);
      }
    }
  }
}
