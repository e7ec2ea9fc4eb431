package dev.batcher.jdbc;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Every value round-trips on PostgreSQL under ONE_BY_ONE, JDBC_BATCH, MULTI_ROW, UNNEST, COPY,
 * UPSERT and INSERT_IGNORE, into the natural types: timestamptz, numeric, bytea, uuid, text.
 */
class PostgresValueRoundTripIT extends ValueRoundTripTests {
  @Override
  Dialect dialect() {
    return Dialect.POSTGRESQL;
  }

  @Override
  List<WriteStrategy> strategies() {
    return List.of(WriteStrategy.ONE_BY_ONE, WriteStrategy.JDBC_BATCH, WriteStrategy.MULTI_ROW,
        WriteStrategy.UNNEST, WriteStrategy.COPY, WriteStrategy.UPSERT,
        WriteStrategy.INSERT_IGNORE);
  }

  @Override
  @Nullable String sqlType(String column) {
    return switch (column) {
      case "id", "big" -> "bigint";
      case "text" -> "text";
      case "small" -> "integer";
      case "num" -> "numeric(40, 10)";
      case "flag" -> "boolean";
      case "dbl" -> "float8";
      case "real" -> "float4";
      case "at" -> "timestamptz";
      case "local" -> "timestamp";
      case "day" -> "date";
      case "uid" -> "uuid";
      case "bytes" -> "bytea";
      default -> throw new IllegalArgumentException(column);
    };
  }
}
