package dev.batcher.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.BatchResult;
import java.sql.JDBCType;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Keys Java and MariaDB compare differently: {@code VARBINARY}, {@code DATETIME} written from
 * offset date-times, and strings under a case-insensitive collation (MariaDB's default), where an
 * update-only merge takes the database's word for which keys have a row.
 */
class MariaDbKeyEqualityIT extends KeyEqualityTests {
  @Override
  Dialect dialect() {
    return Dialect.MARIADB;
  }

  @Override
  String bytesType() {
    return "varbinary(16)";
  }

  @Override
  String instantType() {
    return "datetime(6)";
  }

  @Test
  void counterMerge_updateOnly_caseInsensitiveCollation_everySpellingFindsTheRow()
      throws Exception {
    String t = table("varchar(20) COLLATE utf8mb4_general_ci");
    TestDatabases.exec(pool(), "INSERT INTO " + q(t) + " VALUES ('abc', 10)");
    JdbcSink<Row> sink = sink(t, JDBCType.VARCHAR, WriteStrategy.COUNTER_MERGE, true);
    BatchResult r = sink.write(List.of(new Row("ABC", 1), new Row("abc", 2), new Row("Abc", 4),
        new Row("zz", 8)));
    for (int i = 0; i < 3; i++) {
      assertThat(r.outcome(i)).as("item %s of %s", i, r).isEqualTo(BatchResult.Outcome.SUCCEEDED);
    }
    assertThat(r.outcome(3)).isEqualTo(BatchResult.Outcome.FAILED_PERMANENTLY);
    assertThat(((SQLException) r.cause(3)).getSQLState()).isEqualTo("02000");
    assertThat(sink.statements()).isEqualTo(2);
    assertThat(numbers(t)).containsExactly(17L); // each spelling's delta added once
  }

  @Test
  void counterMerge_updateOnly_binaryCollation_otherCaseHasNoRow() throws Exception {
    String t = table("varchar(20) COLLATE utf8mb4_bin");
    TestDatabases.exec(pool(), "INSERT INTO " + q(t) + " VALUES ('abc', 10)");
    JdbcSink<Row> sink = sink(t, JDBCType.VARCHAR, WriteStrategy.COUNTER_MERGE, true);
    BatchResult r = sink.write(List.of(new Row("ABC", 1), new Row("abc", 2)));
    assertThat(r.outcome(0)).isEqualTo(BatchResult.Outcome.FAILED_PERMANENTLY);
    assertThat(r.outcome(1)).isEqualTo(BatchResult.Outcome.SUCCEEDED);
    assertThat(numbers(t)).containsExactly(12L);
  }

  @Test
  void upsert_caseVariantsUnderCaseInsensitiveCollation_oneRow_everyItemSucceeds()
      throws Exception {
    // Distinct keys to the sink, one row to MariaDB: both are sent in one statement, in key order,
    // so which one's value stays is not promised (docs/jdbc.md); nothing fails or splits.
    String t = table("varchar(20) COLLATE utf8mb4_general_ci");
    JdbcSink<Row> sink = sink(t, JDBCType.VARCHAR, WriteStrategy.UPSERT, false);
    BatchResult r = sink.write(List.of(new Row("k", 1), new Row("K", 2)));
    assertThat(r.isSuccess()).as("%s", r).isTrue();
    assertThat(sink.statements()).isEqualTo(1);
    assertThat(numbers(t)).hasSize(1).first().isIn(1L, 2L);
  }

  @Test
  void counterMerge_caseVariantsUnderCaseInsensitiveCollation_exactSum() throws Exception {
    String t = table("varchar(20) COLLATE utf8mb4_general_ci");
    JdbcSink<Row> sink = sink(t, JDBCType.VARCHAR, WriteStrategy.COUNTER_MERGE, false);
    BatchResult r = sink.write(List.of(new Row("k", 1), new Row("K", 2), new Row("k", 4)));
    assertThat(r.isSuccess()).as("%s", r).isTrue();
    assertThat(numbers(t)).containsExactly(7L);
  }
}
