package dev.batcher.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.BatchResult;
import java.sql.JDBCType;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Keys Java and PostgreSQL compare differently: {@code bytea} and {@code timestamptz}; and keys
 * that only look alike: offset date-times in a {@code timestamp} (no zone) column, which keeps
 * their local times, so one instant at two offsets is two rows there.
 */
class PostgresKeyEqualityIT extends KeyEqualityTests {
  @Override
  Dialect dialect() {
    return Dialect.POSTGRESQL;
  }

  @Override
  String bytesType() {
    return "bytea";
  }

  @Override
  String instantType() {
    return "timestamptz";
  }

  @Test
  void upsert_oneInstantAtTwoOffsets_inATimestampColumn_twoRows() throws Exception {
    String t = table("timestamp");
    JdbcSink<Row> sink = sink(t, JDBCType.TIMESTAMP, WriteStrategy.UPSERT, false);
    BatchResult r = sink.write(List.of(new Row(NOON_UTC, 1), new Row(at(+2), 2)));
    assertThat(r.isSuccess()).as("%s", r).isTrue();
    // 12:00 and 14:00 local: the database keeps both, so the sink must send both
    assertThat(numbers(t)).containsExactly(1L, 2L);
  }

  @Test
  void counterMerge_updateOnly_timestampKey_untypedParameter_findsItsRow() throws Exception {
    String t = table("timestamp");
    Timestamp noon = Timestamp.valueOf("2024-03-01 12:00:00.123456");
    Timestamp later = Timestamp.valueOf("2024-03-02 12:00:00");
    JdbcSink<Row> seed = sink(t, JDBCType.TIMESTAMP, WriteStrategy.COUNTER_MERGE, false);
    assertThat(seed.write(List.of(new Row(noon, 10))).isSuccess()).isTrue();
    // pgjdbc sends a Timestamp untyped: the lock query must still compare it as a timestamp
    JdbcSink<Row> sink = sink(t, JDBCType.TIMESTAMP, WriteStrategy.COUNTER_MERGE, true);
    BatchResult r = sink.write(List.of(new Row(noon, 1), new Row(later, 4)));
    assertThat(r.outcome(0)).as("%s", r).isEqualTo(BatchResult.Outcome.SUCCEEDED);
    assertThat(r.outcome(1)).isEqualTo(BatchResult.Outcome.FAILED_PERMANENTLY);
    assertThat(((SQLException) r.cause(1)).getSQLState()).isEqualTo("02000");
    assertThat(numbers(t)).containsExactly(11L);
  }
}
