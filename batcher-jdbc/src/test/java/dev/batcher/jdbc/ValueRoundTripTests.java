package dev.batcher.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.batcher.BatchResult;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.JDBCType;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.StringJoiner;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every strategy a dialect supports writes every column type the sink maps and reads back equal,
 * with as many rows as items succeeded and the statements the strategy promises: a row of nulls,
 * empty text, the extremes of bigint and integer, a 30-digit decimal with a scale and a tiny
 * negative one, booleans, doubles and floats at their edges, a microsecond {@code
 * TIMESTAMP_WITH_TIMEZONE} given at non-UTC offsets (compared as an instant), a microsecond local
 * timestamp, dates at the ends of the calendar, a UUID where the dialect has the type, bytes with
 * all 256 values, astral code points (emoji, U+1D11E, a flag) and a 1 MiB text of tabs, newlines,
 * carriage returns, backslashes, {@code \N} and {@code \.}, and the text {@code \.} alone.
 * {@code UPSERT} also carries every value through its update branch (each key first written as
 * nulls), and {@code INSERT_IGNORE} a redelivery of the same items writes nothing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
abstract class ValueRoundTripTests {
  /** One row of every type; {@code at} is compared as an instant, {@code num} by value. */
  record Value(long id, @Nullable String text, @Nullable Long big, @Nullable Integer small,
      @Nullable BigDecimal num, @Nullable Boolean flag, @Nullable Double dbl,
      @Nullable Float real, @Nullable OffsetDateTime at, @Nullable LocalDateTime local,
      @Nullable LocalDate day, @Nullable UUID uid, byte @Nullable [] bytes) {}

  /** The columns in order, with the JDBC type each is bound as. */
  private static final String[] COLUMNS = {"id", "text", "big", "small", "num", "flag", "dbl",
      "real", "at", "local", "day", "uid", "bytes"};

  private final String table = "value_round_trip_" + ProcessHandle.current().pid();
  private @Nullable HikariDataSource ds;

  /** The dialect under test. */
  abstract Dialect dialect();

  /** The strategies of the dialect that write rows as given (not COUNTER_MERGE's sums). */
  abstract List<WriteStrategy> strategies();

  /**
   * The column's SQL type in this dialect, or null to leave the column out (its values are then
   * expected back as null).
   */
  abstract @Nullable String sqlType(String column);

  @BeforeAll
  void open() {
    ds = TestDatabases.of(dialect());
  }

  @AfterAll
  void close() {
    pool().close();
  }

  @BeforeEach
  void createTable() throws SQLException {
    StringJoiner cols = new StringJoiner(", ");
    for (String c : COLUMNS) {
      if (sqlType(c) != null) {
        cols.add(q(c) + " " + sqlType(c) + (c.equals("id") ? " primary key" : ""));
      }
    }
    TestDatabases.exec(pool(), "DROP TABLE IF EXISTS " + qt(),
        "CREATE TABLE " + qt() + " (" + cols + ")");
  }

  @AfterEach
  void dropTable() throws SQLException {
    TestDatabases.exec(pool(), "DROP TABLE IF EXISTS " + qt());
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
        -1.5f, OffsetDateTime.of(1970, 1, 1, 0, 0, 0, 1_000, ZoneOffset.ofHours(1)),
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
    v.add(new Value(5, "\\.", null, null, null, null, -Double.MIN_VALUE, -Float.MIN_VALUE, null,
        null, null, null, null));
    return v;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("strategies")
  void everyValueReadsBackEqual_rowsEqualItemsSucceeded(WriteStrategy strategy)
      throws Exception {
    JdbcSink<Value> sink = sink(strategy);
    List<Value> in = values();
    long before = 0;
    if (strategy == WriteStrategy.UPSERT) { // every value then goes through the update branch
      List<Value> blanks = new ArrayList<>();
      for (Value v : in) {
        blanks.add(new Value(v.id(), null, null, null, null, null, null, null, null, null, null,
            null, null));
      }
      assertThat(sink.write(blanks).isSuccess()).isTrue();
      assertThat(readBack()).hasSize(in.size());
      before = sink.statements();
    }

    BatchResult result = sink.write(in);

    assertThat(result.isSuccess()).as("%s", result).isTrue();
    assertThat(sink.statements() - before).as("statements")
        .isEqualTo(statementsPerBatch(strategy, in.size()));
    assertRowsEqual(readBack(), in);
    if (strategy == WriteStrategy.INSERT_IGNORE) { // a redelivery writes nothing, even changed
      List<Value> changed = new ArrayList<>();
      for (Value v : in) {
        changed.add(new Value(v.id(), "changed", 1L, 1, BigDecimal.ONE, true, 1.0, 1f, null,
            null, null, null, null));
      }
      assertThat(sink.write(changed).isSuccess()).isTrue();
      assertRowsEqual(readBack(), in);
    }
  }

  /** What {@link JdbcSink#statements()} promises for one batch of {@code n} items. */
  private static long statementsPerBatch(WriteStrategy strategy, int n) {
    return switch (strategy) {
      case ONE_BY_ONE, JDBC_BATCH -> n; // one INSERT per item; a JDBC batch counts each entry
      default -> 1; // one multi-row, UNNEST, COPY or keyed statement: the batch fits its budget
    };
  }

  private JdbcSink<Value> sink(WriteStrategy strategy) {
    JdbcSink.Builder<Value> b = JdbcSink.<Value>builder(pool()).table(table)
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
        .column("day", JDBCType.DATE, Value::day);
    if (sqlType("uid") != null) {
      b.column("uid", JDBCType.OTHER, Value::uid);
    }
    b.column("bytes", JDBCType.VARBINARY, Value::bytes).strategy(strategy);
    if (strategy == WriteStrategy.UPSERT || strategy == WriteStrategy.INSERT_IGNORE) {
      b.keyColumns("id");
    }
    JdbcSink<Value> sink = b.build();
    assertThat(sink.dialect()).isEqualTo(dialect());
    return sink;
  }

  private void assertRowsEqual(List<Value> out, List<Value> in) {
    assertThat(out).as("rows written").hasSize(in.size());
    boolean uuids = sqlType("uid") != null;
    for (int i = 0; i < in.size(); i++) {
      Value a = in.get(i);
      Value b = out.get(i);
      assertThat(b).usingRecursiveComparison().ignoringFields("at", "bytes", "num", "uid")
          .withEqualsForType(Objects::equals, Double.class) // exact, not within a precision
          .withEqualsForType(Objects::equals, Float.class)
          .as("row %s", a.id()).isEqualTo(a);
      assertThat(b.num() == null ? null : b.num().stripTrailingZeros()).as("num %s", a.id())
          .isEqualTo(a.num() == null ? null : a.num().stripTrailingZeros());
      assertThat(b.at() == null ? null : b.at().toInstant()).as("at %s", a.id())
          .isEqualTo(a.at() == null ? null : a.at().toInstant());
      assertThat(b.uid()).as("uid %s", a.id()).isEqualTo(uuids ? a.uid() : null);
      assertThat(b.bytes()).as("bytes %s", a.id()).isEqualTo(a.bytes());
    }
  }

  private List<Value> readBack() throws SQLException {
    StringJoiner cols = new StringJoiner(", ");
    for (String c : COLUMNS) {
      cols.add(sqlType(c) == null ? "NULL" : q(c));
    }
    List<Value> out = new ArrayList<>();
    try (Connection c = pool().getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT " + cols + " FROM " + qt() + " ORDER BY 1")) {
      while (rs.next()) {
        out.add(new Value(rs.getLong(1), rs.getString(2), rs.getObject(3, Long.class),
            rs.getObject(4, Integer.class), rs.getBigDecimal(5), rs.getObject(6, Boolean.class),
            rs.getObject(7, Double.class), rs.getObject(8, Float.class), instant(rs, 9),
            rs.getObject(10, LocalDateTime.class), rs.getObject(11, LocalDate.class),
            sqlType("uid") == null ? null : rs.getObject(12, UUID.class), rs.getBytes(13)));
      }
    }
    return out;
  }

  /** The instant stored in column {@code i}, at UTC, or null. */
  @Nullable OffsetDateTime instant(ResultSet rs, int i) throws SQLException {
    OffsetDateTime t = rs.getObject(i, OffsetDateTime.class);
    return t == null ? null : t.withOffsetSameInstant(ZoneOffset.UTC);
  }

  private String qt() {
    return dialect().quote("table", table);
  }

  private String q(String name) {
    return dialect().quote("column", name);
  }

  private HikariDataSource pool() {
    assertThat(ds).as("pool").isNotNull();
    return ds;
  }
}
