package dev.batcher.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.batcher.Batcher;
import java.sql.Connection;
import java.sql.JDBCType;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A poison item ends as a row of the dead-letter table, with its SQLState, on each dialect. */
class JdbcDeadLetterTableIT {

  record Row(long id, @Nullable String name) {}

  @ParameterizedTest
  @EnumSource(Dialect.class)
  void poisonItem_endsInTheTable_withItsSqlState(Dialect dialect) throws Exception {
    try (HikariDataSource ds = TestDatabases.of(dialect)) {
      String pid = String.valueOf(ProcessHandle.current().pid());
      String table = "dl_target_" + pid;
      String deadTable = "dl_letters_" + pid;
      String q = dialect.quote("table", table);
      String dq = dialect.quote("table", deadTable);
      TestDatabases.exec(ds, "DROP TABLE IF EXISTS " + q, "DROP TABLE IF EXISTS " + dq,
          "CREATE TABLE " + q + " (" + dialect.quote("column", "id") + " bigint primary key, "
              + dialect.quote("column", "name") + " varchar(20) not null)");
      try {
        JdbcDeadLetterTable<Row> deadLetters = JdbcDeadLetterTable.<Row>builder(ds,
                r -> "{\"id\":" + r.id() + ",\"name\":null}")
            .table(deadTable).createTableIfMissing().build();
        JdbcSink<Row> sink = JdbcSink.<Row>builder(ds).dialect(dialect).table(table)
            .column("id", JDBCType.BIGINT, Row::id)
            .column("name", JDBCType.VARCHAR, Row::name)
            .strategy(WriteStrategy.MULTI_ROW)
            .build();
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        try (Batcher<Row> batcher = Batcher.builder(sink).maxBatchSize(100)
            .maxDelay(Duration.ofMinutes(10)).deliveryTimeout(Duration.ofMinutes(20))
            .deadLetterHandler(deadLetters).idFunction(Row::id).build()) {
          for (int i = 0; i < 100; i++) {
            futures.add(batcher.submit(new Row(i, i == 42 ? null : "n" + i)));
          }
          batcher.flush().get(1, TimeUnit.MINUTES);
          assertThat(futures.get(42)).failsWithin(Duration.ofMinutes(1));
        }

        try (Connection c = ds.getConnection(); Statement s = c.createStatement();
            ResultSet rs = s.executeQuery("SELECT item_id, item, sql_state, message, attempts,"
                + " first_attempt, last_attempt FROM " + dq)) {
          assertThat(rs.next()).isTrue();
          assertThat(rs.getString("item_id")).isEqualTo("42");
          assertThat(rs.getString("item")).isEqualTo("{\"id\":42,\"name\":null}");
          assertThat(rs.getString("sql_state"))
              .isEqualTo(dialect == Dialect.MARIADB ? "23000" : "23502");
          assertThat(rs.getString("message")).isNotBlank();
          assertThat(rs.getInt("attempts")).isPositive();
          assertThat(rs.getTimestamp("first_attempt")).isNotNull();
          assertThat(rs.getTimestamp("last_attempt")).isNotNull();
          assertThat(rs.next()).as("one dead letter").isFalse();
        }
      } finally {
        TestDatabases.exec(ds, "DROP TABLE IF EXISTS " + q, "DROP TABLE IF EXISTS " + dq);
      }
    }
  }
}
