package dev.batcher;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * When and how soon the batcher tries a failed item again: at most {@link Builder#maxAttempts
 * maxAttempts} sink calls per item, exponential backoff with jitter between them, capped at
 * {@link Builder#maxBackoff maxBackoff}, and a classifier that decides which failures are worth
 * another attempt.
 *
 * <p>The classifier applies to failures the sink <em>throws</em> for a whole batch. A sink that
 * returns a per-item {@link BatchResult} classifies each item itself ({@link
 * BatchResult.Outcome#FAILED_RETRYABLE} or {@link BatchResult.Outcome#FAILED_PERMANENTLY}).
 *
 * <p>The {@linkplain #defaultClassifier() default classifier} looks at the cause chain: I/O
 * errors, timeouts and transient or recoverable JDBC errors (connection, deadlock, serialization:
 * SQLState classes 08, 40, 53, 57) retry; programming and data errors ({@link
 * IllegalArgumentException}, {@link NullPointerException}, {@link ClassCastException}, {@link
 * UnsupportedOperationException}, {@link IndexOutOfBoundsException}, {@link ArithmeticException},
 * any {@link Error}, and non-transient JDBC errors such as constraint violations: SQLState classes
 * 22, 23, 42) do not. Anything else retries, within {@code maxAttempts}.
 *
 * <p>Backoff before attempt {@code n+1} is {@code min(maxBackoff, initialBackoff ×
 * multiplier^(n-1))}, then jittered: {@link Jitter#FULL} draws uniformly from zero to that value
 * (the AWS "full jitter"), {@link Jitter#PROPORTIONAL} shortens it by up to {@code jitterFraction},
 * {@link Jitter#NONE} keeps it. Instances are immutable and thread-safe.
 */
public final class RetryPolicy {

  /** Default {@link Builder#maxAttempts}: {@value}. */
  public static final int DEFAULT_MAX_ATTEMPTS = 3;
  /** Default {@link Builder#initialBackoff} in milliseconds: {@value}. */
  public static final long DEFAULT_INITIAL_BACKOFF_MILLIS = 100;
  /** Default {@link Builder#maxBackoff} in milliseconds: {@value}. */
  public static final long DEFAULT_MAX_BACKOFF_MILLIS = 10_000;
  /** Default {@link Builder#multiplier}: {@value}. */
  public static final double DEFAULT_MULTIPLIER = 2.0;

  /** How the backoff is randomised. */
  public enum Jitter {
    /** No randomness: every instance retries on the same schedule. */
    NONE,
    /** Uniform between zero and the backoff: spreads retries the most. The default. */
    FULL,
    /** The backoff shortened by a uniform fraction of at most {@code jitterFraction}. */
    PROPORTIONAL
  }

  private static final RetryPolicy DEFAULTS = builder().build();
  private static final RetryPolicy NONE = builder().maxAttempts(1).build();

  private final int maxAttempts;
  private final long initialBackoffNanos;
  private final long maxBackoffNanos;
  private final double multiplier;
  private final Jitter jitter;
  private final double jitterFraction;
  private final Predicate<Throwable> retryable;

  private RetryPolicy(Builder b) {
    this.maxAttempts = b.maxAttempts;
    this.initialBackoffNanos = b.initialBackoff.toNanos();
    this.maxBackoffNanos = b.maxBackoff.toNanos();
    this.multiplier = b.multiplier;
    this.jitter = b.jitter;
    this.jitterFraction = b.jitterFraction;
    this.retryable = b.retryable;
  }

  /** Returns the default policy: {@value #DEFAULT_MAX_ATTEMPTS} attempts, 100 ms doubling to 10 s. */
  public static RetryPolicy defaults() {
    return DEFAULTS;
  }

  /** Returns a policy that never retries: one attempt per item. */
  public static RetryPolicy none() {
    return NONE;
  }

  /** Returns a builder starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns the most sink calls one item gets, the first included. */
  public int maxAttempts() {
    return maxAttempts;
  }

  /** Returns whether a failure thrown for a whole batch is worth another attempt. */
  public boolean isRetryable(Throwable failure) {
    return retryable.test(requireNonNull(failure, "failure"));
  }

  /**
   * Returns the wait before the attempt after {@code attemptsSoFar} attempts, jitter applied.
   *
   * @param attemptsSoFar how many attempts were made, at least 1
   */
  public long backoffNanos(int attemptsSoFar) {
    double base = initialBackoffNanos * Math.pow(multiplier, Math.max(0, attemptsSoFar - 1));
    long capped = (long) Math.min(base, (double) maxBackoffNanos);
    switch (jitter) {
      case FULL:
        return capped == 0 ? 0 : ThreadLocalRandom.current().nextLong(capped + 1);
      case PROPORTIONAL:
        return capped - (long) (capped * jitterFraction * ThreadLocalRandom.current().nextDouble());
      case NONE:
      default:
        return capped;
    }
  }

  /**
   * Returns the default classifier described in the class comment. Compose it to adjust it, for
   * example {@code defaultClassifier().and(t -> !(t instanceof MyFatalException))}.
   */
  public static Predicate<Throwable> defaultClassifier() {
    return RetryPolicy::classify;
  }

  private static boolean classify(Throwable failure) {
    int depth = 0;
    for (Throwable t = failure; t != null && depth < 16; t = t.getCause(), depth++) {
      if (t instanceof IOException || t instanceof UncheckedIOException
          || t instanceof TimeoutException) {
        return true;
      }
      if (t instanceof IllegalArgumentException || t instanceof NullPointerException
          || t instanceof ClassCastException || t instanceof UnsupportedOperationException
          || t instanceof IndexOutOfBoundsException || t instanceof ArithmeticException
          || t instanceof Error) {
        return false;
      }
      Boolean sql = classifySql(t);
      if (sql != null) {
        return sql;
      }
    }
    return true;
  }

  /** JDBC by class name and SQLState, so that the core does not need the java.sql module. */
  private static @Nullable Boolean classifySql(Throwable t) {
    for (Class<?> c = t.getClass(); c != null && c != Throwable.class; c = c.getSuperclass()) {
      switch (c.getName()) {
        case "java.sql.SQLTransientException":
        case "java.sql.SQLRecoverableException":
          return Boolean.TRUE;
        case "java.sql.SQLNonTransientException":
          return Boolean.FALSE;
        case "java.sql.SQLException":
          return classifySqlState(t);
        default:
          break;
      }
    }
    return null;
  }

  private static @Nullable Boolean classifySqlState(Throwable t) {
    String state;
    try {
      Object s = t.getClass().getMethod("getSQLState").invoke(t);
      state = s instanceof String ? (String) s : null;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
    if (state == null || state.length() < 2) {
      return null;
    }
    switch (state.substring(0, 2)) {
      case "08": // connection exception
      case "40": // transaction rollback: serialization failure, deadlock
      case "53": // insufficient resources
      case "57": // operator intervention: admin shutdown, query canceled
        return Boolean.TRUE;
      case "22": // data exception
      case "23": // integrity constraint violation
      case "42": // syntax error or access rule violation
        return Boolean.FALSE;
      default:
        return null;
    }
  }

  @Override
  public String toString() {
    return "RetryPolicy{maxAttempts=" + maxAttempts + ", initialBackoff="
        + Duration.ofNanos(initialBackoffNanos) + ", maxBackoff=" + Duration.ofNanos(maxBackoffNanos)
        + ", multiplier=" + multiplier + ", jitter=" + jitter
        + (jitter == Jitter.PROPORTIONAL ? " " + jitterFraction : "") + "}";
  }

  /** Builds a {@link RetryPolicy}; every option starts at its default. Not thread-safe. */
  public static final class Builder {
    private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
    private Duration initialBackoff = Duration.ofMillis(DEFAULT_INITIAL_BACKOFF_MILLIS);
    private Duration maxBackoff = Duration.ofMillis(DEFAULT_MAX_BACKOFF_MILLIS);
    private double multiplier = DEFAULT_MULTIPLIER;
    private Jitter jitter = Jitter.FULL;
    private double jitterFraction = 0.5;
    private Predicate<Throwable> retryable = RetryPolicy::classify;

    private Builder() {}

    /**
     * Sets the most sink calls per item, the first included; 1 means no retry. Default {@value
     * #DEFAULT_MAX_ATTEMPTS}.
     *
     * @throws IllegalArgumentException if less than 1
     */
    public Builder maxAttempts(int maxAttempts) {
      if (maxAttempts < 1) {
        throw new IllegalArgumentException(
            "maxAttempts must be at least 1: " + maxAttempts);
      }
      this.maxAttempts = maxAttempts;
      return this;
    }

    /**
     * Sets the backoff before the second attempt. Default {@value
     * #DEFAULT_INITIAL_BACKOFF_MILLIS} ms.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder initialBackoff(Duration initialBackoff) {
      requireNonNull(initialBackoff, "initialBackoff");
      if (initialBackoff.isNegative()) {
        throw new IllegalArgumentException(
            "initialBackoff must not be negative: " + initialBackoff);
      }
      this.initialBackoff = initialBackoff;
      return this;
    }

    /**
     * Sets the cap on any backoff. Default {@value #DEFAULT_MAX_BACKOFF_MILLIS} ms.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder maxBackoff(Duration maxBackoff) {
      requireNonNull(maxBackoff, "maxBackoff");
      if (maxBackoff.isNegative()) {
        throw new IllegalArgumentException("maxBackoff must not be negative: " + maxBackoff);
      }
      this.maxBackoff = maxBackoff;
      return this;
    }

    /**
     * Sets the growth factor between backoffs. Default {@value #DEFAULT_MULTIPLIER}.
     *
     * @throws IllegalArgumentException if below 1 or not finite
     */
    public Builder multiplier(double multiplier) {
      if (!(multiplier >= 1) || Double.isInfinite(multiplier)) {
        throw new IllegalArgumentException("multiplier must be at least 1: " + multiplier);
      }
      this.multiplier = multiplier;
      return this;
    }

    /** Sets {@link Jitter#FULL} (the default) or {@link Jitter#NONE}. */
    public Builder jitter(Jitter jitter) {
      requireNonNull(jitter, "jitter");
      if (jitter == Jitter.PROPORTIONAL) {
        throw new IllegalArgumentException(
            "PROPORTIONAL jitter needs a fraction: use proportionalJitter(fraction)");
      }
      this.jitter = jitter;
      return this;
    }

    /**
     * Sets {@link Jitter#PROPORTIONAL}: each backoff is shortened by a uniform fraction of at most
     * {@code fraction}.
     *
     * @throws IllegalArgumentException if outside (0, 1]
     */
    public Builder proportionalJitter(double fraction) {
      if (!(fraction > 0 && fraction <= 1)) {
        throw new IllegalArgumentException("jitter fraction must be in (0, 1]: " + fraction);
      }
      this.jitter = Jitter.PROPORTIONAL;
      this.jitterFraction = fraction;
      return this;
    }

    /**
     * Sets the classifier of failures thrown for a whole batch: true means worth another attempt.
     * Default {@link RetryPolicy#defaultClassifier()}.
     */
    public Builder retryOn(Predicate<Throwable> retryable) {
      this.retryable = requireNonNull(retryable, "retryable");
      return this;
    }

    /**
     * Returns the policy.
     *
     * @throws IllegalStateException if initialBackoff exceeds maxBackoff
     */
    public RetryPolicy build() {
      if (initialBackoff.compareTo(maxBackoff) > 0) {
        throw new IllegalStateException("initialBackoff (" + initialBackoff
            + ") must not exceed maxBackoff (" + maxBackoff + ")");
      }
      return new RetryPolicy(this);
    }
  }
}
