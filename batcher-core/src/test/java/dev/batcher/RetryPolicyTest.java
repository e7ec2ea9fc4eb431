package dev.batcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.SocketTimeoutException;
import java.sql.SQLException;
import java.sql.SQLIntegrityConstraintViolationException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
  private final RetryPolicy defaults = RetryPolicy.defaults();

  @Test
  void defaults_areTheDocumentedConstants() {
    assertThat(defaults.maxAttempts()).isEqualTo(RetryPolicy.DEFAULT_MAX_ATTEMPTS).isEqualTo(3);
    assertThat(RetryPolicy.none().maxAttempts()).isEqualTo(1);
    assertThat(defaults.toString()).isEqualTo("RetryPolicy{maxAttempts=3, initialBackoff=PT0.1S,"
        + " maxBackoff=PT10S, multiplier=2.0, jitter=FULL}");
  }

  @Test
  void classifier_retriesIoAndTimeouts() {
    assertThat(defaults.isRetryable(new IOException("reset"))).isTrue();
    assertThat(defaults.isRetryable(new SocketTimeoutException())).isTrue();
    assertThat(defaults.isRetryable(new TimeoutException())).isTrue();
    assertThat(defaults.isRetryable(new UncheckedIOException(new IOException()))).isTrue();
    assertThat(defaults.isRetryable(new RuntimeException(new IOException("wrapped")))).isTrue();
  }

  @Test
  void classifier_doesNotRetryProgrammingAndDataErrors() {
    assertThat(defaults.isRetryable(new IllegalArgumentException())).isFalse();
    assertThat(defaults.isRetryable(new NullPointerException())).isFalse();
    assertThat(defaults.isRetryable(new ClassCastException())).isFalse();
    assertThat(defaults.isRetryable(new UnsupportedOperationException())).isFalse();
    assertThat(defaults.isRetryable(new OutOfMemoryError())).isFalse();
    assertThat(defaults.isRetryable(new RuntimeException(new IllegalArgumentException())))
        .isFalse();
  }

  @Test
  void classifier_readsJdbcExceptions() {
    assertThat(defaults.isRetryable(new SQLTransientConnectionException())).isTrue();
    assertThat(defaults.isRetryable(new SQLIntegrityConstraintViolationException())).isFalse();
    assertThat(defaults.isRetryable(new SQLException("deadlock", "40P01"))).isTrue();
    assertThat(defaults.isRetryable(new SQLException("serialization", "40001"))).isTrue();
    assertThat(defaults.isRetryable(new SQLException("connection", "08006"))).isTrue();
    assertThat(defaults.isRetryable(new SQLException("unique", "23505"))).isFalse();
    assertThat(defaults.isRetryable(new SQLException("syntax", "42601"))).isFalse();
    assertThat(defaults.isRetryable(new SQLException("data", "22001"))).isFalse();
  }

  @Test
  void classifier_retriesTheUnknown() {
    assertThat(defaults.isRetryable(new IllegalStateException("?"))).isTrue();
    assertThat(defaults.isRetryable(new SQLException("no state"))).isTrue();
  }

  @Test
  void classifier_canBeReplaced() {
    RetryPolicy p = RetryPolicy.builder()
        .retryOn(RetryPolicy.defaultClassifier().and(t -> !(t instanceof IllegalStateException)))
        .build();
    assertThat(p.isRetryable(new IllegalStateException())).isFalse();
    assertThat(p.isRetryable(new IOException())).isTrue();
  }

  @Test
  void backoff_growsExponentiallyUpToTheCap() {
    RetryPolicy p = RetryPolicy.builder().initialBackoff(Duration.ofMillis(100))
        .maxBackoff(Duration.ofMillis(350)).multiplier(2).jitter(RetryPolicy.Jitter.NONE).build();
    assertThat(p.backoffNanos(1)).isEqualTo(100_000_000L);
    assertThat(p.backoffNanos(2)).isEqualTo(200_000_000L);
    assertThat(p.backoffNanos(3)).isEqualTo(350_000_000L);
    assertThat(p.backoffNanos(30)).isEqualTo(350_000_000L);
  }

  @Test
  void fullJitter_staysBetweenZeroAndTheBackoff() {
    RetryPolicy p = RetryPolicy.builder().initialBackoff(Duration.ofMillis(100)).build();
    long min = Long.MAX_VALUE;
    long max = 0;
    for (int i = 0; i < 10_000; i++) {
      long b = p.backoffNanos(1);
      assertThat(b).isBetween(0L, 100_000_000L);
      min = Math.min(min, b);
      max = Math.max(max, b);
    }
    assertThat(min).isLessThan(10_000_000L); // it does spread
    assertThat(max).isGreaterThan(90_000_000L);
  }

  @Test
  void proportionalJitter_shortensByAtMostTheFraction() {
    RetryPolicy p = RetryPolicy.builder().initialBackoff(Duration.ofMillis(100))
        .proportionalJitter(0.2).build();
    for (int i = 0; i < 10_000; i++) {
      assertThat(p.backoffNanos(1)).isBetween(80_000_000L, 100_000_000L);
    }
  }

  @Test
  void builder_rejectsBadValues() {
    assertThatThrownBy(() -> RetryPolicy.builder().maxAttempts(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("maxAttempts must be at least 1: 0");
    assertThatThrownBy(() -> RetryPolicy.builder().initialBackoff(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("initialBackoff must not be negative: PT-0.001S");
    assertThatThrownBy(() -> RetryPolicy.builder().multiplier(0.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("multiplier must be at least 1: 0.5");
    assertThatThrownBy(() -> RetryPolicy.builder().proportionalJitter(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("jitter fraction must be in (0, 1]: 0.0");
    assertThatThrownBy(() -> RetryPolicy.builder().initialBackoff(Duration.ofSeconds(20)).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("initialBackoff (PT20S) must not exceed maxBackoff (PT10S)");
  }
}
