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
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
  private final RetryPolicy defaults = RetryPolicy.defaults();

  @Test
  void defaults_areTheDocumentedConstants() {
    assertThat(defaults.maxAttempts()).isEqualTo(RetryPolicy.DEFAULT_MAX_ATTEMPTS).isEqualTo(3);
    assertThat(RetryPolicy.none().maxAttempts()).isEqualTo(1);
    assertThat(RetryPolicy.DEFAULT_BACKOFF_JITTER).isEqualTo(RetryPolicy.Jitter.FULL);
    assertThat(RetryPolicy.DEFAULT_BACKOFF_JITTER_FRACTION).isEqualTo(0.5);
    assertThat(defaults.toString()).isEqualTo("RetryPolicy{maxAttempts=3, initialBackoff=PT0.1S,"
        + " maxBackoff=PT10S, multiplier=2.0, backoffJitter=FULL}");
  }

  @Test
  void toString_namesTheProportionalFraction() {
    assertThat(RetryPolicy.builder().backoffJitter(RetryPolicy.Jitter.PROPORTIONAL)
            .backoffJitterFraction(0.2).build().toString())
        .isEqualTo("RetryPolicy{maxAttempts=3, initialBackoff=PT0.1S, maxBackoff=PT10S,"
            + " multiplier=2.0, backoffJitter=PROPORTIONAL, backoffJitterFraction=0.2}");
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
        .maxBackoff(Duration.ofMillis(350)).multiplier(2).backoffJitter(RetryPolicy.Jitter.NONE)
        .build();
    assertThat(p.backoffNanos(1)).isEqualTo(100_000_000L);
    assertThat(p.backoffNanos(2)).isEqualTo(200_000_000L);
    assertThat(p.backoffNanos(3)).isEqualTo(350_000_000L);
    assertThat(p.backoffNanos(30)).isEqualTo(350_000_000L);
  }

  /** Backoffs past what nanoseconds in a long hold are clamped, as the builder's durations. */
  @Test
  void hugeBackoffs_areClampedNotOverflowed() {
    long clamp = Long.MAX_VALUE / 64;
    RetryPolicy p = RetryPolicy.builder().maxBackoff(Duration.ofSeconds(Long.MAX_VALUE))
        .initialBackoff(Duration.ofSeconds(1)).backoffJitter(RetryPolicy.Jitter.NONE).build();
    assertThat(p.backoffNanos(1)).isEqualTo(1_000_000_000L);
    assertThat(p.backoffNanos(200)).isEqualTo(clamp);
    RetryPolicy both = RetryPolicy.builder().initialBackoff(Duration.ofSeconds(Long.MAX_VALUE))
        .maxBackoff(Duration.ofSeconds(Long.MAX_VALUE)).backoffJitter(RetryPolicy.Jitter.NONE)
        .build();
    assertThat(both.backoffNanos(1)).isEqualTo(clamp);
    assertThat(both.toString()).contains("maxBackoff=" + Duration.ofNanos(clamp));
  }

  @Test
  void backoffJitterFull_staysBetweenZeroAndTheBackoff() {
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
  void backoffJitterNone_keepsTheBackoff() {
    RetryPolicy p = RetryPolicy.builder().initialBackoff(Duration.ofMillis(100))
        .backoffJitter(RetryPolicy.Jitter.NONE).build();
    for (int i = 0; i < 1_000; i++) {
      assertThat(p.backoffNanos(1)).isEqualTo(100_000_000L);
    }
  }

  @Test
  void backoffJitterFull_canBeSetExplicitly() {
    RetryPolicy p = RetryPolicy.builder().initialBackoff(Duration.ofMillis(100))
        .backoffJitter(RetryPolicy.Jitter.FULL).build();
    for (int i = 0; i < 1_000; i++) {
      assertThat(p.backoffNanos(1)).isBetween(0L, 100_000_000L);
    }
  }

  @Test
  void backoffJitterProportional_withoutFraction_shortensByAtMostTheDefaultHalf() {
    RetryPolicy p = RetryPolicy.builder().initialBackoff(Duration.ofMillis(100))
        .backoffJitter(RetryPolicy.Jitter.PROPORTIONAL).build();
    assertDrawsSpread(p, 1, 50_000_000L, 100_000_000L);
  }

  @Test
  void backoffJitterProportional_shortensByAtMostTheFraction() {
    RetryPolicy p = RetryPolicy.builder().initialBackoff(Duration.ofMillis(100))
        .backoffJitter(RetryPolicy.Jitter.PROPORTIONAL).backoffJitterFraction(0.2).build();
    assertDrawsSpread(p, 1, 80_000_000L, 100_000_000L);
  }

  @Test
  void backoffJitterProportional_appliesAfterTheCap() {
    RetryPolicy p = RetryPolicy.builder().initialBackoff(Duration.ofMillis(100))
        .maxBackoff(Duration.ofMillis(350)).backoffJitter(RetryPolicy.Jitter.PROPORTIONAL)
        .backoffJitterFraction(0.2).build();
    assertDrawsSpread(p, 2, 160_000_000L, 200_000_000L);
    assertDrawsSpread(p, 30, 280_000_000L, 350_000_000L);
  }

  @Test
  void backoffJitterProportional_ofOne_spreadsFromZeroToTheBackoff() {
    RetryPolicy p = RetryPolicy.builder().initialBackoff(Duration.ofMillis(100))
        .backoffJitter(RetryPolicy.Jitter.PROPORTIONAL).backoffJitterFraction(1).build();
    assertDrawsSpread(p, 1, 0L, 100_000_000L);
  }

  /**
   * Draws many backoffs after {@code attempts} attempts: each must be above {@code low} (the
   * backoff shortened by the whole fraction, which a draw never quite reaches) and at most {@code
   * high} (the backoff itself), and they must reach both ends of that range to within 5%.
   */
  private static void assertDrawsSpread(RetryPolicy p, int attempts, long low, long high) {
    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    for (int i = 0; i < 10_000; i++) {
      long b = p.backoffNanos(attempts);
      assertThat(b).isGreaterThan(low).isLessThanOrEqualTo(high);
      min = Math.min(min, b);
      max = Math.max(max, b);
    }
    long slack = (high - low) / 20;
    assertThat(min).as("lowest draw").isLessThan(low + slack);
    assertThat(max).as("highest draw").isGreaterThan(high - slack);
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
    assertThatThrownBy(() -> RetryPolicy.builder().multiplier(Double.POSITIVE_INFINITY))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("multiplier must be at least 1: Infinity");
    assertThatThrownBy(() -> RetryPolicy.builder().maxBackoff(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxBackoff must not be negative: PT-1S");
    assertThatThrownBy(() -> RetryPolicy.builder().backoffJitterFraction(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("backoffJitterFraction must be in (0, 1]: 0.0");
    assertThatThrownBy(() -> RetryPolicy.builder().backoffJitterFraction(1.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("backoffJitterFraction must be in (0, 1]: 1.5");
    assertThatThrownBy(() -> RetryPolicy.builder().backoffJitterFraction(Double.NaN))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("backoffJitterFraction must be in (0, 1]: NaN");
    assertThatThrownBy(() -> RetryPolicy.builder().backoffJitter(null))
        .isInstanceOf(NullPointerException.class).hasMessage("backoffJitter");
    assertThatThrownBy(() -> RetryPolicy.builder().retryOn(null))
        .isInstanceOf(NullPointerException.class).hasMessage("retryable");
    assertThatThrownBy(() -> RetryPolicy.builder().initialBackoff(Duration.ofSeconds(20)).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("initialBackoff (PT20S) must not exceed maxBackoff (PT10S)");
  }

  @Test
  void options_setTwice_areRejectedNamingTheEarlierValue() {
    assertThatThrownBy(() -> RetryPolicy.builder().maxAttempts(3).maxAttempts(5))
        .isInstanceOf(IllegalStateException.class).hasMessage("maxAttempts was already set to 3");
    assertThatThrownBy(() -> RetryPolicy.builder().initialBackoff(Duration.ofMillis(50))
            .initialBackoff(Duration.ofMillis(60)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("initialBackoff was already set to PT0.05S");
    assertThatThrownBy(() -> RetryPolicy.builder().maxBackoff(Duration.ofSeconds(1))
            .maxBackoff(Duration.ofSeconds(2)))
        .isInstanceOf(IllegalStateException.class).hasMessage("maxBackoff was already set to PT1S");
    assertThatThrownBy(() -> RetryPolicy.builder().multiplier(1.5).multiplier(3))
        .isInstanceOf(IllegalStateException.class).hasMessage("multiplier was already set to 1.5");
    assertThatThrownBy(() -> RetryPolicy.builder().backoffJitter(RetryPolicy.Jitter.NONE)
            .backoffJitter(RetryPolicy.Jitter.FULL))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("backoffJitter was already set to NONE");
    assertThatThrownBy(() -> RetryPolicy.builder().backoffJitterFraction(0.2)
            .backoffJitterFraction(0.3))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("backoffJitterFraction was already set to 0.2");
    Predicate<Throwable> first = Predicate.not(IllegalStateException.class::isInstance);
    assertThatThrownBy(() -> RetryPolicy.builder().retryOn(first).retryOn(t -> true))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("retryOn was already set to " + first);
  }

  @Test
  void options_setTwiceToTheSameValue_areRejectedToo() {
    assertThatThrownBy(() -> RetryPolicy.builder().maxAttempts(3).maxAttempts(3))
        .isInstanceOf(IllegalStateException.class).hasMessage("maxAttempts was already set to 3");
  }

  @Test
  void backoffJitterFraction_withoutProportional_isRejectedAtBuild() {
    assertThatThrownBy(() -> RetryPolicy.builder().backoffJitterFraction(0.2).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("backoffJitterFraction (0.2) applies only to backoffJitter PROPORTIONAL, but"
            + " backoffJitter is FULL");
    assertThatThrownBy(() -> RetryPolicy.builder().backoffJitter(RetryPolicy.Jitter.NONE)
            .backoffJitterFraction(0.2).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("backoffJitterFraction (0.2) applies only to backoffJitter PROPORTIONAL, but"
            + " backoffJitter is NONE");
  }

  @Test
  void initialBackoff_aboveAnExplicitMaxBackoff_isRejectedAtBuild() {
    assertThatThrownBy(() -> RetryPolicy.builder().maxBackoff(Duration.ofMillis(50)).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("initialBackoff (PT0.1S) must not exceed maxBackoff (PT0.05S)");
  }
}
