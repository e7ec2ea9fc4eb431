package dev.batcher.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.batcher.BatchResult;
import java.sql.Connection;
import java.sql.JDBCType;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLType;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Keys that Java and the database compare differently: equal {@code byte[]} arrays (two objects,
 * one key) and one instant at two time zone offsets. The keyed strategies take them for one key,
 * as the database does: no statement names the row twice (no bisection), the last item wins an
 * upsert, a counter moves by the exact sum, and an update-only merge finds the row.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
abstract class KeyEqualityTests {
  private static final AtomicInteger TABLES = new AtomicInteger();
  static final OffsetDateTime NOON_UTC = OffsetDateTime.parse("2024-03-01T12:00:00Z");

  /** A row: a key of any type and a number. */
  record Row(Object key, long n) {}

  private @Nullable HikariDataSource ds;
  private final List<String> tables = new ArrayList<>();

  /** The dialect under test. */
  abstract Dialect dialect();

  /** The column type of a {@code byte[]} key in this dialect. */
  abstract String bytesType();

  /** The column type of an {@code OffsetDateTime} key in this dialect. */
  abstract String instantType();

  @BeforeEach
  void open() {
    ds = TestDatabases.of(dialect());
  }

  @AfterEach
  void close() throws SQLException {
    for (String t : tables) {
      TestDatabases.exec(pool(), "DROP TABLE IF EXISTS " + q(t));
    }
    pool().close();
  }

  @Test
  void upsert_equalByteArrays_oneKey_lastWins_oneStatement() throws Exception {
    String t = table(bytesType());
    JdbcSink<Row> sink = sink(t, JDBCType.VARBINARY, WriteStrategy.UPSERT, false);
    BatchResult r = sink.write(List.of(new Row(new byte[] {1, 2}, 1), new Row(new byte[] {-1}, 7),
        new Row(new byte[] {1, 2}, 2), new Row(new byte[] {1, 2}, 3)));
    assertThat(r.isSuccess()).as("%s", r).isTrue();
    assertThat(sink.statements()).isEqualTo(1);
    assertThat(numbers(t)).containsExactly(3L, 7L);
  }

  @Test
  void insertIgnore_equalByteArrays_firstWins() throws Exception {
    String t = table(bytesType());
    JdbcSink<Row> sink = sink(t, JDBCType.VARBINARY, WriteStrategy.INSERT_IGNORE, false);
    BatchResult r = sink.write(List.of(new Row(new byte[] {1, 2}, 1),
        new Row(new byte[] {1, 2}, 2)));
    assertThat(r.isSuccess()).as("%s", r).isTrue();
    assertThat(numbers(t)).containsExactly(1L);
  }

  @Test
  void counterMerge_equalByteArrays_exactSum_oneStatement() throws Exception {
    String t = table(bytesType());
    JdbcSink<Row> sink = sink(t, JDBCType.VARBINARY, WriteStrategy.COUNTER_MERGE, false);
    BatchResult r = sink.write(List.of(new Row(new byte[] {1, 2}, 1), new Row(new byte[] {1, 2}, 2),
        new Row(new byte[] {(byte) 0x80}, 5), new Row(new byte[] {1, 2}, 4)));
    assertThat(r.isSuccess()).as("%s", r).isTrue();
    assertThat(sink.statements()).isEqualTo(1);
    assertThat(numbers(t)).containsExactly(7L, 5L); // 0x0102, then 0x80
  }

  @Test
  void counterMerge_updateOnly_byteArrayKey_findsItsRow() throws Exception {
    String t = table(bytesType());
    TestDatabases.exec(pool(), "INSERT INTO " + q(t) + " VALUES (" + bytesLiteral() + ", 10)");
    JdbcSink<Row> sink = sink(t, JDBCType.VARBINARY, WriteStrategy.COUNTER_MERGE, true);
    BatchResult r = sink.write(List.of(new Row(new byte[] {1, 2}, 1),
        new Row(new byte[] {1, 2}, 2), new Row(new byte[] {3}, 4)));
    assertThat(r.outcome(0)).isEqualTo(BatchResult.Outcome.SUCCEEDED);
    assertThat(r.outcome(1)).isEqualTo(BatchResult.Outcome.SUCCEEDED);
    assertThat(r.outcome(2)).isEqualTo(BatchResult.Outcome.FAILED_PERMANENTLY);
    assertThat(r.cause(2)).hasMessageContaining("has no row for key [0x03]");
    assertThat(numbers(t)).containsExactly(13L);
  }

  @Test
  void upsert_oneInstantAtTwoOffsets_oneKey_lastWins_oneStatement() throws Exception {
    String t = table(instantType());
    JdbcSink<Row> sink = sink(t, JDBCType.TIMESTAMP_WITH_TIMEZONE, WriteStrategy.UPSERT, false);
    BatchResult r = sink.write(List.of(new Row(NOON_UTC, 1), new Row(at(+2), 2),
        new Row(at(-5), 3), new Row(NOON_UTC.plusHours(1), 9)));
    assertThat(r.isSuccess()).as("%s", r).isTrue();
    assertThat(sink.statements()).isEqualTo(1);
    assertThat(numbers(t)).containsExactly(3L, 9L);

    // and the other way round: the last item, not the smallest offset, wins
    BatchResult again = sink.write(List.of(new Row(at(-5), 4), new Row(at(+2), 5)));
    assertThat(again.isSuccess()).as("%s", again).isTrue();
    assertThat(numbers(t)).containsExactly(5L, 9L);
  }

  @Test
  void counterMerge_oneInstantAtTwoOffsets_exactSum() throws Exception {
    String t = table(instantType());
    JdbcSink<Row> sink =
        sink(t, JDBCType.TIMESTAMP_WITH_TIMEZONE, WriteStrategy.COUNTER_MERGE, false);
    BatchResult r = sink.write(List.of(new Row(NOON_UTC, 1), new Row(at(+2), 2),
        new Row(at(-5), 4)));
    assertThat(r.isSuccess()).as("%s", r).isTrue();
    assertThat(sink.statements()).isEqualTo(1);
    assertThat(numbers(t)).containsExactly(7L);
  }

  @Test
  void counterMerge_updateOnly_instantKeyAtAnotherOffset_findsItsRow() throws Exception {
    String t = table(instantType());
    JdbcSink<Row> seed =
        sink(t, JDBCType.TIMESTAMP_WITH_TIMEZONE, WriteStrategy.COUNTER_MERGE, false);
    assertThat(seed.write(List.of(new Row(NOON_UTC, 10))).isSuccess()).isTrue();
    JdbcSink<Row> sink =
        sink(t, JDBCType.TIMESTAMP_WITH_TIMEZONE, WriteStrategy.COUNTER_MERGE, true);
    BatchResult r = sink.write(List.of(new Row(NOON_UTC, 1), new Row(at(+2), 2),
        new Row(NOON_UTC.plusDays(1), 4)));
    assertThat(r.outcome(0)).as("%s", r).isEqualTo(BatchResult.Outcome.SUCCEEDED);
    assertThat(r.outcome(1)).isEqualTo(BatchResult.Outcome.SUCCEEDED);
    assertThat(r.outcome(2)).isEqualTo(BatchResult.Outcome.FAILED_PERMANENTLY);
    assertThat(((SQLException) r.cause(2)).getSQLState()).isEqualTo("02000");
    assertThat(sink.statements()).isEqualTo(2);
    assertThat(numbers(t)).containsExactly(13L);
  }

  // ------------------------------------------------------------------------------ helpers

  static OffsetDateTime at(int offsetHours) {
    return NOON_UTC.withOffsetSameInstant(ZoneOffset.ofHours(offsetHours));
  }

  /** The literal of the bytes {1, 2} in this dialect. */
  String bytesLiteral() {
    return dialect() == Dialect.MARIADB ? "X'0102'"
        : dialect() == Dialect.POSTGRESQL ? "'\\x0102'::bytea" : "X'0102'";
  }

  HikariDataSource pool() {
    return Objects.requireNonNull(ds);
  }

  String q(String identifier) {
    return identifier.startsWith("keyeq_") ? dialect().quote("table", identifier)
        : dialect().quote("column", identifier);
  }

  /** A new table of a key {@code k} of {@code keyType} and a NOT NULL number {@code n}. */
  String table(String keyType) throws SQLException {
    String t = "keyeq_" + ProcessHandle.current().pid() + "_" + TABLES.incrementAndGet();
    tables.add(t);
    TestDatabases.exec(pool(), "DROP TABLE IF EXISTS " + q(t), "CREATE TABLE " + q(t) + " ("
        + q("k") + " " + keyType + " PRIMARY KEY, " + q("n") + " bigint NOT NULL)");
    return t;
  }

  JdbcSink<Row> sink(String table, SQLType keyType, WriteStrategy strategy, boolean updateOnly) {
    JdbcSink.Builder<Row> b = JdbcSink.<Row>builder(pool()).table(table)
        .column("k", keyType, Row::key)
        .column("n", JDBCType.BIGINT, Row::n)
        .keyColumns("k")
        .strategy(strategy);
    if (updateOnly) {
      b.updateOnly(true);
    }
    return b.build();
  }

  /** The numbers of {@code table}, in key order. */
  List<Long> numbers(String table) throws SQLException {
    List<Long> out = new ArrayList<>();
    try (Connection c = pool().getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT " + q("n") + " FROM " + q(table) + " ORDER BY "
            + q("k"))) {
      while (rs.next()) {
        out.add(rs.getLong(1));
      }
    }
    return out;
  }
}
