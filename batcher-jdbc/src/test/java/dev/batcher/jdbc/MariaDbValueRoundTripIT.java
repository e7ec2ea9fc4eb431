package dev.batcher.jdbc;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Every value round-trips on MariaDB under ONE_BY_ONE, JDBC_BATCH, MULTI_ROW, UPSERT and
 * INSERT_IGNORE: utf8mb4 LONGTEXT holds the astral code points and the 1 MiB text, DECIMAL(65, 30)
 * the 30-digit decimal, LONGBLOB all 256 byte values, the native UUID type the UUIDs. MariaDB
 * keeps no zone with a timestamp: a {@code TIMESTAMP_WITH_TIMEZONE} value is sent as an {@code
 * OffsetDateTime} that Connector/J writes as the local time of the JVM's zone, so a DATETIME(6)
 * (which, unlike TIMESTAMP, reaches back to 1970-01-01 00:00:00.000001 UTC) read back in that zone
 * is the same instant, to the microsecond. The floats are exact in 6 digits, all a FLOAT reads
 * back as through the text protocol; {@code Float.MAX_VALUE} is left out because Connector/J
 * writes it as 3.4028235E38, above the server's limit (22003, under every strategy).
 */
class MariaDbValueRoundTripIT extends ValueRoundTripTests {
  @Override
  Dialect dialect() {
    return Dialect.MARIADB;
  }

  @Override
  List<WriteStrategy> strategies() {
    return List.of(WriteStrategy.ONE_BY_ONE, WriteStrategy.JDBC_BATCH, WriteStrategy.MULTI_ROW,
        WriteStrategy.UPSERT, WriteStrategy.INSERT_IGNORE);
  }

  @Override
  @Nullable String sqlType(String column) {
    return switch (column) {
      case "id", "big" -> "bigint";
      case "text" -> "longtext character set utf8mb4";
      case "small" -> "int";
      case "num" -> "decimal(65, 30)";
      case "flag" -> "boolean";
      case "dbl" -> "double";
      case "real" -> "float";
      case "at", "local" -> "datetime(6)";
      case "day" -> "date";
      case "uid" -> "uuid";
      case "bytes" -> "longblob";
      default -> throw new IllegalArgumentException(column);
    };
  }
}
