package dev.batcher.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.batcher.Distribution;
import org.junit.jupiter.api.Test;

class HistogramTest {

  @Test
  void empty_isAllZero() {
    Distribution s = new Histogram().summary();
    assertThat(s.count()).isZero();
    assertThat(s.p99()).isZero();
    assertThat(s.mean()).isZero();
  }

  @Test
  void percentiles_areWithinBucketError() {
    Histogram h = new Histogram();
    for (long v = 1; v <= 100_000; v++) {
      h.record(v);
    }
    Distribution s = h.summary();
    assertThat(s.count()).isEqualTo(100_000);
    assertThat(s.max()).isEqualTo(100_000);
    assertThat(s.mean()).isCloseTo(50_000.5, within(0.01));
    assertThat((double) s.p50()).isCloseTo(50_000, within(50_000 * 0.07));
    assertThat((double) s.p99()).isCloseTo(99_000, within(99_000 * 0.07));
    assertThat((double) s.p999()).isCloseTo(99_900, within(99_900 * 0.07));
  }

  @Test
  void bucketBounds_coverEveryValue() {
    for (long v : new long[] {0, 1, 15, 16, 17, 31, 32, 1000, 123_456_789L, Long.MAX_VALUE}) {
      int i = Histogram.index(v);
      assertThat(Histogram.upperBound(i)).isGreaterThanOrEqualTo(v);
      if (i > 0) {
        assertThat(Histogram.upperBound(i - 1)).isLessThan(v);
      }
    }
  }

  @Test
  void batch_publishesTheSameSummaryAsSingleRecords() {
    Histogram single = new Histogram();
    Histogram batched = new Histogram();
    try (Histogram.Batch b = batched.batch()) {
      for (long v = 0; v < 5_000; v += 7) {
        single.record(v);
        b.record(v);
      }
    }
    assertThat(batched.summary()).isEqualTo(single.summary());
  }

  @Test
  void negative_isRecordedAsZero() {
    Histogram h = new Histogram();
    h.record(-5);
    assertThat(h.summary().max()).isZero();
  }
}
