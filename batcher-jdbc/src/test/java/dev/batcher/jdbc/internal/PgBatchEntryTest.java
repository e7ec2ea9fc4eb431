package dev.batcher.jdbc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** pgjdbc formats the entry number in the JVM's locale; every grouping is read, nothing else. */
class PgBatchEntryTest {

  @Test
  void entryNumber_plainAndGroupedInEachLocale() {
    assertThat(PgBatchEntry.entryNumber("Batch entry 0 INSERT INTO t was aborted")).isZero();
    assertThat(PgBatchEntry.entryNumber("Batch entry 999 INSERT")).isEqualTo(999);
    assertThat(PgBatchEntry.entryNumber("Batch entry 2,500 INSERT")).isEqualTo(2_500);
    assertThat(PgBatchEntry.entryNumber("Batch entry 2.500 INSERT")).isEqualTo(2_500);
    assertThat(PgBatchEntry.entryNumber("Batch entry 2'500 INSERT")).isEqualTo(2_500);
    assertThat(PgBatchEntry.entryNumber("Batch entry 2\u00a0500 INSERT")).isEqualTo(2_500);
    assertThat(PgBatchEntry.entryNumber("Batch entry 1\u202f234\u202f567 <unknown>"))
        .isEqualTo(1_234_567);
  }

  @Test
  void entryNumber_otherMessages_areNotRead() {
    assertThat(PgBatchEntry.entryNumber("Der Batch-Eintrag 3 wurde abgebrochen")).isEqualTo(-1);
    assertThat(PgBatchEntry.entryNumber("ERROR: Batch entry 3 INSERT")).isEqualTo(-1);
    assertThat(PgBatchEntry.entryNumber("Batch entry x INSERT")).isEqualTo(-1);
    assertThat(PgBatchEntry.entryNumber("Batch entry 12345678901 INSERT")).isEqualTo(-1);
  }
}
