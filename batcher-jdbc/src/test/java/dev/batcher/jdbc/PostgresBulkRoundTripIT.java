package dev.batcher.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.batcher.BatchResult;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.JDBCType;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * UNNEST and COPY write every type they map and read back equal: nulls, empty text, the extremes
 * of bigint, a 30-digit numeric with a scale, a microsecond timestamptz given with a non-UTC offset
 * (compared as an instant), bytea with all 256 byte values, astral code points and a 1 MiB text.
 */
class PostgresBulkRoundTripIT {
  /** One row of every type; {@code at} is compared as an instant. */
  record Value(long id, @Nullable String text, @Nullable Long big, @Nullable Integer small,
      @Nullable BigDecimal num, @Nullable Boolean flag, @Nullable Double dbl,
      @Nullable Float real, @Nullable OffsetDateTime at, @Nullable LocalDateTime local,
      @Nullable LocalDate day, @Nullable UUID uid, byte @Nullable [] bytes) {}

  private static final String TABLE = "bulk_round_trip_" + ProcessHandle.current().pid();

  private HikariDataSource ds;

  @BeforeEach
  void createTable() throws Exception {
    ds = TestDatabases.postgres();
    TestDatabases.exec(ds, "DROP TABLE IF EXISTS " + TABLE, "CREATE TABLE " + TABLE
        + " (id bigint primary key, text text, big bigint, small integer, num numeric(40, 10),"
        + " flag boolean, dbl float8, real float4, at timestamptz, local timestamp, day date,"
        + " uid uuid, bytes bytea)");
  }

  @AfterEach
  void dropTable() throws Exception {
    TestDatabases.exec(ds, "DROP TABLE IF EXISTS " + TABLE);
    ds.close();
  }

  static List<Value> values() {
    byte[] all = new byte[256];
    for (int i = 0; i < 256; i++) {
      all[i] = (byte) i;
    }
    StringBuilder mib = new StringBuilder(1 << 20);
    while (mib.length() < (1 << 20) - 16) {
      mib.append("ab\\c\td\ne\r\\N\\.f\uD83D\uDE00 ");
    }
    List<Value> v = new ArrayList<>();
    v.add(new Value(1, null, null, null, null, null, null, null, null, null, null, null, null));
    v.add(new Value(2, "", Long.MIN_VALUE, Integer.MIN_VALUE, BigDecimal.ZERO, false, -0.5,
        -1.5f, OffsetDateTime.of(1970, 1, 1, 0, 0, 0, 1_000, ZoneOffset.UTC),
        LocalDateTime.of(1999, 12, 31, 23, 59, 59, 999_999_000), LocalDate.of(1, 1, 1),
        new UUID(0, 0), new byte[0]));
    v.add(new Value(3, "\uD83D\uDE00 \uD834\uDD1E \uD83C\uDDF3\uD83C\uDDF4 \u00e9\u4e2d\\N \\.",
        Long.MAX_VALUE, Integer.MAX_VALUE,
        new BigDecimal("12345678901234567890.1234567890"), true, Double.MAX_VALUE, Float.MIN_VALUE,
        OffsetDateTime.of(2024, 2, 29, 23, 59, 59, 123_456_000, ZoneOffset.ofHoursMinutes(5, 30)),
        LocalDateTime.of(2024, 2, 29, 12, 0, 0, 1_000), LocalDate.of(2024, 2, 29),
        UUID.fromString("123e4567-e89b-12d3-a456-426614174000"), all));
    v.add(new Value(4, mib.toString(), 0L, 0, new BigDecimal("-0.0000000001"), null, 1e-300,
        3.25f, OffsetDateTime.of(2030, 6, 1, 0, 0, 0, 999_999_000, ZoneOffset.ofHours(-11)),
        null, LocalDate.of(9999, 12, 31), UUID.randomUUID(), new byte[] {0, '\\', '\t', '\n'}));
    v.add(new Value(5, "\\.", null, null, null, null, null, null, null, null, null, null, null));
    return v;
  }

  @ParameterizedTest
  @EnumSource(value = WriteStrategy.class, names = {"UNNEST", "COPY"})
  void everyTypeReadsBackEqual(WriteStrategy strategy) throws Exception {
    JdbcSink<Value> sink = JdbcSink.<Value>builder(ds).table(TABLE)
        .column("id", JDBCType.BIGINT, Value::id)
        .column("text", JDBCType.VARCHAR, Value::text)
        .column("big", JDBCType.BIGINT, Value::big)
        .column("small", JDBCType.INTEGER, Value::small)
        .column("num", JDBCType.NUMERIC, Value::num)
        .column("flag", JDBCType.BOOLEAN, Value::flag)
        .column("dbl", JDBCType.DOUBLE, Value::dbl)
        .column("real", JDBCType.REAL, Value::real)
        .column("at", JDBCType.TIMESTAMP_WITH_TIMEZONE, Value::at)
        .column("local", JDBCType.TIMESTAMP, Value::local)
        .column("day", JDBCType.DATE, Value::day)
        .column("uid", JDBCType.OTHER, Value::uid)
        .column("bytes", JDBCType.VARBINARY, Value::bytes)
        .strategy(strategy)
        .build();
    List<Value> in = values();

    BatchResult result = sink.write(in);

    assertThat(result.isSuccess()).as("%s", result).isTrue();
    assertThat(sink.statements()).isEqualTo(1);
    List<Value> out = readBack();
    assertThat(out).hasSize(in.size());
    for (int i = 0; i < in.size(); i++) {
      Value a = in.get(i);
      Value b = out.get(i);
      assertThat(b).usingRecursiveComparison().ignoringFields("at", "bytes", "num")
          .as("row %s", a.id()).isEqualTo(a);
      assertThat(b.num() == null ? null : b.num().stripTrailingZeros())
          .isEqualTo(a.num() == null ? null : a.num().stripTrailingZeros());
      assertThat(b.at() == null ? null : b.at().toInstant())
          .isEqualTo(a.at() == null ? null : a.at().toInstant());
      assertThat(b.bytes()).isEqualTo(a.bytes());
    }
  }

  private List<Value> readBack() throws Exception {
    List<Value> out = new ArrayList<>();
    try (Connection c = ds.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT id, text, big, small, num, flag, dbl, real, at,"
            + " local, day, uid, bytes FROM " + TABLE + " ORDER BY id")) {
      while (rs.next()) {
        out.add(new Value(rs.getLong(1), rs.getString(2), rs.getObject(3, Long.class),
            rs.getObject(4, Integer.class), rs.getBigDecimal(5), rs.getObject(6, Boolean.class),
            rs.getObject(7, Double.class), rs.getObject(8, Float.class),
            rs.getObject(9, OffsetDateTime.class), rs.getObject(10, LocalDateTime.class),
            rs.getObject(11, LocalDate.class), rs.getObject(12, UUID.class), rs.getBytes(13)));
      }
    }
    return out;
  }

}
