package dev.batcher.jdbc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.jdbc.Dialect;
import java.sql.BatchUpdateException;
import java.sql.JDBCType;
import java.sql.SQLException;
import java.sql.SQLIntegrityConstraintViolationException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A unique violation names its item only when exactly one item prints as the named key. */
class DuplicateKeysTest {
  record Row(long id, String kind, double weight) {}

  private static final List<Row> BATCH = List.of(new Row(1, "a", 1.0), new Row(42, "b", 2.0),
      new Row(7, "a", 3.0), new Row(8, "c-d", 4.0));

  @Test
  void postgresDetail_namesTheItemByItsColumns_withoutKeyColumns() {
    assertThat(keys(List.of()).pinpoint(pg("Key (id)=(42) already exists."), BATCH)).isEqualTo(1);
    assertThat(keys(List.of()).pinpoint(pg("Key (id, kind)=(7, a) already exists."), BATCH))
        .isEqualTo(2);
  }

  @Test
  void postgresDetail_asANextException_isRead() {
    BatchUpdateException b = new BatchUpdateException("Batch entry 1 ...", "23505", new int[0]);
    b.setNextException(pg("Key (id)=(8) already exists."));
    assertThat(keys(List.of()).pinpoint(b, BATCH)).isEqualTo(3);
  }

  @Test
  void postgresDetail_twoItemsAlike_isNotPinpointed() {
    assertThat(keys(List.of()).pinpoint(pg("Key (kind)=(a) already exists."), BATCH))
        .isEqualTo(-1);
  }

  @Test
  void postgresDetail_aColumnTheSinkDoesNotWrite_isNotPinpointed() {
    assertThat(keys(List.of()).pinpoint(pg("Key (lower(kind))=(b) already exists."), BATCH))
        .isEqualTo(-1);
    assertThat(keys(List.of()).pinpoint(pg("Key (email)=(42) already exists."), BATCH))
        .isEqualTo(-1);
  }

  @Test
  void aValueWhoseTextIsUncertain_isNotPinpointed() {
    assertThat(keys(List.of()).pinpoint(pg("Key (weight)=(2) already exists."), BATCH))
        .isEqualTo(-1);
  }

  @Test
  void mariadbEntry_isReadAgainstTheKeyColumns() {
    assertThat(keys(List.of(0)).pinpoint(maria("Duplicate entry '42' for key 'PRIMARY'"), BATCH))
        .isEqualTo(1);
    assertThat(keys(List.of(0, 1)).pinpoint(maria("Duplicate entry '7-a' for key 'PRIMARY'"),
        BATCH)).isEqualTo(2);
  }

  @Test
  void mariadbEntry_withoutKeyColumns_isNotPinpointed() {
    assertThat(keys(List.of()).pinpoint(maria("Duplicate entry '42' for key 'PRIMARY'"), BATCH))
        .isEqualTo(-1);
  }

  @Test
  void otherErrors_areNotPinpointed() {
    assertThat(keys(List.of(0)).pinpoint(new SQLException("null value", "23502"), BATCH))
        .isEqualTo(-1);
  }

  private static DuplicateKeys<Row> keys(List<Integer> keyIndexes) {
    List<Column<Row>> columns = List.of(
        new Column<>("id", "\"id\"", JDBCType.BIGINT, Row::id),
        new Column<>("kind", "\"kind\"", JDBCType.VARCHAR, Row::kind),
        new Column<>("weight", "\"weight\"", JDBCType.DOUBLE, Row::weight));
    return new DuplicateKeys<>(new TableSpec<>(Dialect.POSTGRESQL, "t", "\"t\"", columns,
        keyIndexes));
  }

  private static SQLException pg(String detail) {
    return new SQLException("ERROR: duplicate key value violates unique constraint \"t_pkey\"\n"
        + "  Detail: " + detail, "23505");
  }

  private static SQLException maria(String message) {
    return new SQLIntegrityConstraintViolationException("(conn=115) " + message, "23000", 1062);
  }
}
