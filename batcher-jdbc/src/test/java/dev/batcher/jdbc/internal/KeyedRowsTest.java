package dev.batcher.jdbc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.jdbc.Dialect;
import java.sql.JDBCType;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** How keys compare: values Java and the databases compare differently, normalized. */
class KeyedRowsTest {
  private static final JDBCType TZ = JDBCType.TIMESTAMP_WITH_TIMEZONE;
  private static final OffsetDateTime NOON = OffsetDateTime.parse("2024-03-01T12:00:00Z");

  @Test
  void normalize_byteArrays_equalByContent() {
    Object a = KeyedRows.normalize(JDBCType.VARBINARY, new byte[] {1, 2});
    Object b = KeyedRows.normalize(JDBCType.VARBINARY, new byte[] {1, 2});
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b).hasToString("0x0102");
    assertThat(a).isNotEqualTo(KeyedRows.normalize(JDBCType.VARBINARY, new byte[] {1, 2, 0}));
  }

  @Test
  void normalize_byteArrays_orderAsUnsignedBytes() {
    assertThat(order(new byte[] {(byte) 0x80}, new byte[] {0x7f})).isPositive();
    assertThat(order(new byte[] {1}, new byte[] {1, 0})).isNegative();
    assertThat(order(new byte[] {}, new byte[] {0})).isNegative();
  }

  @Test
  void normalize_offsetAndZonedDateTimes_areTheirInstant() {
    Instant instant = NOON.toInstant();
    assertThat(KeyedRows.normalize(JDBCType.TIMESTAMP_WITH_TIMEZONE, NOON)).isEqualTo(instant);
    assertThat(KeyedRows.normalize(TZ, NOON.withOffsetSameInstant(ZoneOffset.ofHours(-7))))
        .isEqualTo(instant);
    assertThat(KeyedRows.normalize(TZ, NOON.atZoneSameInstant(ZoneId.of("Asia/Tokyo"))))
        .isEqualTo(instant);
    assertThat(KeyedRows.normalize(JDBCType.TIMESTAMP_WITH_TIMEZONE, instant)).isEqualTo(instant);
    assertThat(KeyedRows.normalize(TZ, NOON.withOffsetSameLocal(ZoneOffset.ofHours(1))))
        .isNotEqualTo(instant);
  }

  @Test
  void normalize_negativeZero_isZero() {
    assertThat(KeyedRows.normalize(JDBCType.DOUBLE, -0.0d)).isEqualTo(0.0d);
    assertThat(KeyedRows.normalize(JDBCType.REAL, -0.0f)).isEqualTo(0.0f);
    assertThat(KeyedRows.normalize(JDBCType.DOUBLE, Double.NaN)).isEqualTo(Double.NaN);
    assertThat(KeyedRows.normalize(JDBCType.DOUBLE, -1.5d)).isEqualTo(-1.5d);
  }

  @Test
  void normalize_othersUnchanged() {
    UUID u = UUID.randomUUID();
    assertThat(KeyedRows.normalize(JDBCType.OTHER, u)).isSameAs(u);
    // collations are the database's
    assertThat(KeyedRows.normalize(JDBCType.OTHER, "Abc")).isEqualTo("Abc");
    assertThat(KeyedRows.normalize(JDBCType.OTHER, null)).isNull();
  }

  @Test
  void onePerKey_equalArraysAndOneInstant_lastWins() {
    List<Column<Object[]>> cols = List.of(
        new Column<>("b", "\"b\"", JDBCType.VARBINARY, r -> r[0]),
        new Column<>("t", "\"t\"", JDBCType.TIMESTAMP_WITH_TIMEZONE, r -> r[1]));
    TableSpec<Object[]> table =
        new TableSpec<>(Dialect.POSTGRESQL, "x", "\"x\"", cols, List.of(0, 1));
    List<Object[]> batch = List.of(
        new Object[] {new byte[] {1}, NOON},
        new Object[] {new byte[] {1}, NOON.withOffsetSameInstant(ZoneOffset.ofHours(3))},
        new Object[] {new byte[] {2}, NOON},
        new Object[] {new byte[] {1}, NOON.withOffsetSameInstant(ZoneOffset.ofHours(-3))});
    assertThat(KeyedRows.onePerKey(table, batch, true)).containsExactly(3, 2);
    assertThat(KeyedRows.onePerKey(table, batch, false)).containsExactly(0, 2);
  }

  private static int order(byte[] a, byte[] b) {
    return KeyedRows.ORDER.compare(Arrays.asList(KeyedRows.normalize(JDBCType.OTHER, a)),
        Arrays.asList(KeyedRows.normalize(JDBCType.OTHER, b)));
  }
  @Test
  void normalize_onlyMergesWhatTheColumnTypeStoresAsOne() {
    OffsetDateTime tokyo = NOON.withOffsetSameInstant(ZoneOffset.ofHours(9));
    // a timestamp (no zone) or text column keeps the local time or the offset: two keys
    assertThat(KeyedRows.normalize(JDBCType.TIMESTAMP, NOON))
        .isNotEqualTo(KeyedRows.normalize(JDBCType.TIMESTAMP, tokyo));
    assertThat(KeyedRows.normalize(JDBCType.VARCHAR, NOON))
        .isNotEqualTo(KeyedRows.normalize(JDBCType.VARCHAR, tokyo));
    // "7.00" and "7", "-0.0" and "0.0" are different text, the same number
    assertThat(KeyedRows.normalize(JDBCType.VARCHAR, new java.math.BigDecimal("7.00")))
        .isNotEqualTo(KeyedRows.normalize(JDBCType.VARCHAR, new java.math.BigDecimal("7")));
    assertThat(KeyedRows.normalize(JDBCType.NUMERIC, new java.math.BigDecimal("7.00")))
        .isEqualTo(KeyedRows.normalize(JDBCType.NUMERIC, new java.math.BigDecimal("7")));
    assertThat(KeyedRows.normalize(JDBCType.VARCHAR, -0.0d))
        .isNotEqualTo(KeyedRows.normalize(JDBCType.VARCHAR, 0.0d));
    assertThat(KeyedRows.normalize(JDBCType.DOUBLE, -0.0d))
        .isEqualTo(KeyedRows.normalize(JDBCType.DOUBLE, 0.0d));
    // whole numbers have one text form: the same key in any column
    assertThat(KeyedRows.normalize(JDBCType.VARCHAR, 7))
        .isEqualTo(KeyedRows.normalize(JDBCType.VARCHAR, 7L));
  }
}
