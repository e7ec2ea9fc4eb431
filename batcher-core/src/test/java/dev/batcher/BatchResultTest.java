package dev.batcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.batcher.BatchResult.Outcome;
import org.junit.jupiter.api.Test;

class BatchResultTest {

  @Test
  void success_fitsAnySize() {
    BatchResult r = BatchResult.success();
    assertThat(r.isSuccess()).isTrue();
    assertThat(r.size()).isEqualTo(-1);
    assertThat(r.outcome(12345)).isEqualTo(Outcome.SUCCEEDED);
    assertThat(r.cause(3)).isNull();
  }

  @Test
  void builder_marksItemsByIndex() {
    IllegalStateException lock = new IllegalStateException("lock timeout");
    IllegalArgumentException bad = new IllegalArgumentException("bad row");
    BatchResult r = BatchResult.builder(5).failedRetryably(1, lock).failedPermanently(4, bad)
        .build();
    assertThat(r.isSuccess()).isFalse();
    assertThat(r.failedCount()).isEqualTo(2);
    assertThat(r.size()).isEqualTo(5);
    assertThat(r.outcome(0)).isEqualTo(Outcome.SUCCEEDED);
    assertThat(r.outcome(1)).isEqualTo(Outcome.FAILED_RETRYABLE);
    assertThat(r.cause(1)).isSameAs(lock);
    assertThat(r.outcome(4)).isEqualTo(Outcome.FAILED_PERMANENTLY);
    assertThat(r.cause(4)).isSameAs(bad);
    assertThat(r.cause(0)).isNull();
  }

  @Test
  void builder_negativeSize_isRejected() {
    assertThatThrownBy(() -> BatchResult.builder(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("batchSize must not be negative: -1");
  }

  @Test
  void builder_indexOutside_isRejected() {
    assertThatThrownBy(() -> BatchResult.builder(3).failedPermanently(3, new RuntimeException()))
        .isInstanceOf(IndexOutOfBoundsException.class)
        .hasMessage("index 3 is outside a batch of 3 items");
  }

  @Test
  void builder_markedTwice_isRejected() {
    assertThatThrownBy(() -> BatchResult.builder(3).failedRetryably(1, new RuntimeException())
            .failedPermanently(1, new RuntimeException()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("item 1 was already marked FAILED_RETRYABLE");
  }

  @Test
  void builder_nullCause_isRejected() {
    assertThatThrownBy(() -> BatchResult.builder(3).failedPermanently(1, null))
        .isInstanceOf(NullPointerException.class).hasMessage("cause");
  }

  @Test
  void outcome_indexOutside_isRejected() {
    BatchResult r = BatchResult.builder(2).failedPermanently(0, new RuntimeException()).build();
    assertThatThrownBy(() -> r.outcome(2))
        .isInstanceOf(IndexOutOfBoundsException.class)
        .hasMessage("index 2 is outside a batch result of 2 items");
  }

  @Test
  void builder_withNoFailures_isSuccess() {
    BatchResult r = BatchResult.builder(4).build();
    assertThat(r.isSuccess()).isTrue();
    assertThat(r.size()).isEqualTo(4);
  }

  @Test
  void notAttempted_marksOthersForAResendWithoutACause() {
    IllegalArgumentException bad = new IllegalArgumentException("duplicate key");
    BatchResult r = BatchResult.builder(4).failedPermanently(2, bad).othersNotAttempted().build();
    assertThat(r.isSuccess()).isFalse();
    assertThat(r.failedCount()).isEqualTo(1);
    assertThat(r.notAttemptedCount()).isEqualTo(3);
    assertThat(r.outcome(0)).isEqualTo(Outcome.NOT_ATTEMPTED);
    assertThat(r.outcome(2)).isEqualTo(Outcome.FAILED_PERMANENTLY);
    assertThat(r.cause(0)).isNull();
    assertThat(r.toString()).isEqualTo("BatchResult{size=4, failed=1, notAttempted=3}");
  }

  @Test
  void notAttempted_twice_isRejected() {
    assertThatThrownBy(() -> BatchResult.builder(2).notAttempted(1).notAttempted(1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("item 1 was already marked NOT_ATTEMPTED");
  }

  @Test
  void batchFailed_fitsAnySizeAndHasNoItemOutcomes() {
    IllegalStateException missing = new IllegalStateException("relation does not exist");
    BatchResult r = BatchResult.batchFailed(missing);
    assertThat(r.isSuccess()).isFalse();
    assertThat(r.batchFailure()).isSameAs(missing);
    assertThat(r.size()).isEqualTo(-1);
    assertThatThrownBy(() -> r.outcome(0)).isInstanceOf(IllegalStateException.class)
        .hasMessage("a batch failure has no per-item outcomes");
    assertThatThrownBy(() -> BatchResult.batchFailed(null))
        .isInstanceOf(NullPointerException.class).hasMessage("cause");
  }
}
