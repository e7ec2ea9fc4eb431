package dev.batcher.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.batcher.BatchResult;
import java.sql.Connection;
import java.sql.JDBCType;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A {@code TIMESTAMP_WITH_TIMEZONE} column takes the same Java types under every strategy and
 * stores the same instant for each: {@link OffsetDateTime}, {@link java.time.ZonedDateTime},
 * {@link Instant}, and {@link Timestamp} and {@link LocalDateTime} read in the JVM's default time
 * zone. (pgjdbc alone refuses the last two with "Cannot cast", which failed them under
 * {@code JDBC_BATCH} and {@code MULTI_ROW} but not under {@code UNNEST} or {@code COPY}.)
 */
class TimestampWithTimeZoneIT {
  private static final Instant AT = Instant.parse("2024-06-01T12:00:00.123456Z");

  record Event(long id, Object at) {}

  static List<Arguments> databasesAndStrategies() {
    List<Arguments> out = new ArrayList<>();
    for (WriteStrategy s : new WriteStrategy[] {WriteStrategy.JDBC_BATCH,
        WriteStrategy.MULTI_ROW, WriteStrategy.UNNEST, WriteStrategy.COPY,
        WriteStrategy.ONE_BY_ONE}) {
      out.add(Arguments.of(Dialect.POSTGRESQL, s));
    }
    for (Dialect d : new Dialect[] {Dialect.MARIADB, Dialect.H2}) {
      out.add(Arguments.of(d, WriteStrategy.JDBC_BATCH));
      out.add(Arguments.of(d, WriteStrategy.MULTI_ROW));
    }
    return out;
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("databasesAndStrategies")
  void everyStrategy_acceptsTheSameJavaTypes_andStoresTheSameInstant(Dialect dialect,
      WriteStrategy strategy) throws Exception {
    String table = "tstz_" + ProcessHandle.current().pid();
    String type = switch (dialect) {
      case POSTGRESQL -> "timestamptz";
      case MARIADB -> "timestamp(6) null";
      case H2 -> "timestamp(6) with time zone";
    };
    ZoneId zone = ZoneId.systemDefault();
    List<Event> events = List.of(
        new Event(1, AT.atOffset(ZoneOffset.ofHours(2))),
        new Event(2, AT.atZone(ZoneId.of("America/New_York"))),
        new Event(3, AT),
        new Event(4, Timestamp.from(AT)),
        new Event(5, LocalDateTime.ofInstant(AT, zone)));
    String quoted = dialect.quote("table", table);
    try (HikariDataSource ds = TestDatabases.of(dialect)) {
      TestDatabases.exec(ds, "DROP TABLE IF EXISTS " + quoted, "CREATE TABLE " + quoted + " ("
          + dialect.quote("column", "id") + " bigint primary key, "
          + dialect.quote("column", "at") + " " + type + ")");
      try {
        JdbcSink<Event> sink = JdbcSink.<Event>builder(ds).table(table)
            .column("id", JDBCType.BIGINT, Event::id)
            .column("at", JDBCType.TIMESTAMP_WITH_TIMEZONE, Event::at)
            .strategy(strategy).build();

        BatchResult r = sink.write(events);

        assertThat(r.isSuccess()).as("%s", r).isTrue();
        if (dialect == Dialect.MARIADB) {
          // no time zone in the column: the same local time for every row is the same instant
          assertThat(distinct(ds, "SELECT count(DISTINCT at) FROM " + quoted)).isEqualTo(1);
        } else {
          try (Connection c = ds.getConnection(); Statement s = c.createStatement();
              ResultSet rs = s.executeQuery("SELECT " + dialect.quote("column", "id") + ", "
                  + dialect.quote("column", "at") + " FROM " + quoted + " ORDER BY 1")) {
            while (rs.next()) {
              assertThat(rs.getObject(2, OffsetDateTime.class).toInstant())
                  .as("row %d", rs.getLong(1)).isEqualTo(AT);
            }
          }
        }
      } finally {
        TestDatabases.exec(ds, "DROP TABLE IF EXISTS " + quoted);
      }
    }
  }

  private static long distinct(HikariDataSource ds, String sql) throws SQLException {
    try (Connection c = ds.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
