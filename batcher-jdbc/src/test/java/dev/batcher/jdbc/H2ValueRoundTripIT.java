package dev.batcher.jdbc;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Every value round-trips on H2 in memory under ONE_BY_ONE, JDBC_BATCH, MULTI_ROW, UPSERT (MERGE)
 * and INSERT_IGNORE: a timestamp with time zone keeps the instant, a CLOB holds the 1 MiB text
 * (longer than H2's VARCHAR limit of 1,000,000 characters), VARBINARY all 256 byte values.
 */
class H2ValueRoundTripIT extends ValueRoundTripTests {
  @Override
  Dialect dialect() {
    return Dialect.H2;
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
      case "text" -> "clob";
      case "small" -> "integer";
      case "num" -> "numeric(40, 10)";
      case "flag" -> "boolean";
      case "dbl" -> "double precision";
      case "real" -> "real";
      case "at" -> "timestamp(6) with time zone";
      case "local" -> "timestamp(6)";
      case "day" -> "date";
      case "uid" -> "uuid";
      case "bytes" -> "varbinary(1024)";
      default -> throw new IllegalArgumentException(column);
    };
  }
}
