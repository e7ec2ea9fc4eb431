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
  private static final OffsetDateTime NOON = OffsetDateTime.parse("2024-03-01T12:00:00Z");

  @Test
  void normalize_byteArrays_equalByContent() {
    Object a = KeyedRows.normalize(new byte[] {1, 2});
    Object b = KeyedRows.normalize(new byte[] {1, 2});
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b).hasToString("0x0102");
    assertThat(a).isNotEqualTo(KeyedRows.normalize(new byte[] {1, 2, 0}));
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
    assertThat(KeyedRows.normalize(NOON)).isEqualTo(instant);
    assertThat(KeyedRows.normalize(NOON.withOffsetSameInstant(ZoneOffset.ofHours(-7))))
        .isEqualTo(instant);
    assertThat(KeyedRows.normalize(NOON.atZoneSameInstant(ZoneId.of("Asia/Tokyo"))))
        .isEqualTo(instant);
    assertThat(KeyedRows.normalize(instant)).isEqualTo(instant);
    assertThat(KeyedRows.normalize(NOON.withOffsetSameLocal(ZoneOffset.ofHours(1))))
        .isNotEqualTo(instant);
  }

  @Test
  void normalize_negativeZero_isZero() {
    assertThat(KeyedRows.normalize(-0.0d)).isEqualTo(0.0d);
    assertThat(KeyedRows.normalize(-0.0f)).isEqualTo(0.0f);
    assertThat(KeyedRows.normalize(Double.NaN)).isEqualTo(Double.NaN);
    assertThat(KeyedRows.normalize(-1.5d)).isEqualTo(-1.5d);
  }

  @Test
  void normalize_othersUnchanged() {
    UUID u = UUID.randomUUID();
    assertThat(KeyedRows.normalize(u)).isSameAs(u);
    assertThat(KeyedRows.normalize("Abc")).isEqualTo("Abc"); // collations are the database's
    assertThat(KeyedRows.normalize(null)).isNull();
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
    return KeyedRows.ORDER.compare(Arrays.asList(KeyedRows.normalize(a)),
        Arrays.asList(KeyedRows.normalize(b)));
  }
}
