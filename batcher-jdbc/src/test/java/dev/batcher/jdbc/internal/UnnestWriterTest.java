package dev.batcher.jdbc.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.batcher.jdbc.Dialect;
import java.sql.JDBCType;
import java.util.List;
import org.junit.jupiter.api.Test;

class UnnestWriterTest {
  private static Column<Object> column(String name, JDBCType type) {
    return new Column<>(name, Dialect.POSTGRESQL.quote("column", name), type, x -> null);
  }

  private static TableSpec<Object> table(List<Column<Object>> columns) {
    return new TableSpec<>(Dialect.POSTGRESQL, "likes", "\"likes\"", columns, List.of());
  }

  @Test
  void sql_isOneArrayPerColumn_whateverTheBatchSize() {
    UnnestWriter<Object> w = new UnnestWriter<>(table(List.of(column("post_id", JDBCType.BIGINT),
        column("name", JDBCType.VARCHAR), column("at", JDBCType.TIMESTAMP_WITH_TIMEZONE),
        column("id", JDBCType.OTHER))));

    assertThat(w.sql()).isEqualTo("INSERT INTO \"likes\" (\"post_id\", \"name\", \"at\", \"id\")"
        + " SELECT * FROM unnest(?::bigint[], ?::text[], ?::timestamptz[], ?::uuid[])");
  }

  @Test
  void unsupportedType_isRefused_namingColumnAndType() {
    assertThatThrownBy(() -> new UnnestWriter<>(table(List.of(column("id", JDBCType.BIGINT),
        column("doc", JDBCType.STRUCT)))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("column 'doc' has type STRUCT, which UNNEST cannot send as an array; use"
            + " BIGINT, INTEGER, SMALLINT, VARCHAR, NUMERIC, BOOLEAN, DOUBLE, REAL, TIMESTAMP,"
            + " TIMESTAMP_WITH_TIMEZONE, DATE, VARBINARY or OTHER (UUID), or another strategy");
  }
}
