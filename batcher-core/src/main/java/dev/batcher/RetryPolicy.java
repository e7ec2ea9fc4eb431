package dev.batcher;

import static dev.batcher.Checks.requireArgument;
import static dev.batcher.Checks.requireState;
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
 * multiplier^(n-1))}, then shortened at random by the {@linkplain Builder#backoffJitter backoff
 * jitter}: {@link Jitter#FULL} draws uniformly from zero to that value (the AWS "full jitter"),
 * {@link Jitter#PROPORTIONAL} shortens it by up to {@link Builder#backoffJitterFraction
 * backoffJitterFraction} of it, {@link Jitter#NONE} keeps it. Instances are immutable and
 * thread-safe.
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
  /** Default {@link Builder#backoffJitter}: {@link Jitter#FULL}. */
  public static final Jitter DEFAULT_BACKOFF_JITTER = Jitter.FULL;
  /** Default {@link Builder#backoffJitterFraction}, for {@link Jitter#PROPORTIONAL}: {@value}. */
  public static final double DEFAULT_BACKOFF_JITTER_FRACTION = 0.5;

  /** How a backoff is shortened at random ({@link Builder#backoffJitter}); never lengthened. */
  public enum Jitter {
    /** No randomness: every instance retries on the same schedule. */
    NONE,
    /** Uniform between zero and the backoff: spreads retries the most. The default. */
    FULL,
    /**
     * The backoff shortened by a uniform fraction of itself of at most {@link
     * Builder#backoffJitterFraction} (default {@value
     * RetryPolicy#DEFAULT_BACKOFF_JITTER_FRACTION}).
     */
    PROPORTIONAL
  }

  private static final RetryPolicy DEFAULTS = builder().build();
  private static final RetryPolicy NONE = builder().maxAttempts(1).build();

  private final int maxAttempts;
  private final long initialBackoffNanos;
  private final long maxBackoffNanos;
  private final double multiplier;
  private final Jitter backoffJitter;
  private final double backoffJitterFraction;
  private final Predicate<Throwable> retryable;

  private RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff,
      double multiplier, Jitter backoffJitter, double backoffJitterFraction,
      Predicate<Throwable> retryable) {
    this.maxAttempts = maxAttempts;
    this.initialBackoffNanos = Durations.clampedNanos(initialBackoff);
    this.maxBackoffNanos = Durations.clampedNanos(maxBackoff);
    this.multiplier = multiplier;
    this.backoffJitter = backoffJitter;
    this.backoffJitterFraction = backoffJitterFraction;
    this.retryable = retryable;
  }

  /**
   * {@return the default policy: {@value #DEFAULT_MAX_ATTEMPTS} attempts, 100 ms doubling to 10 s}
   */
  public static RetryPolicy defaults() {
    return DEFAULTS;
  }

  /** {@return a policy that never retries: one attempt per item} */
  public static RetryPolicy none() {
    return NONE;
  }

  /** {@return a builder starting from the defaults} */
  public static Builder builder() {
    return new Builder();
  }

  /** {@return the most sink calls one item gets, the first included} */
  public int maxAttempts() {
    return maxAttempts;
  }

  /**
   * {@return whether a failure thrown for a whole batch is worth another attempt}
   *
   * @param failure what the sink threw, or gave to {@link BatchResult#batchFailed}
   */
  public boolean isRetryable(Throwable failure) {
    return retryable.test(requireNonNull(failure, "failure"));
  }

  /**
   * {@return the wait before the attempt after {@code attemptsSoFar} attempts, jitter applied}
   *
   * @param attemptsSoFar how many attempts were made, at least 1
   */
  public long backoffNanos(int attemptsSoFar) {
    double base = initialBackoffNanos * Math.pow(multiplier, Math.max(0, attemptsSoFar - 1));
    // Compared as doubles, but the cap returned as the long it is: (double) of a long above
    // 2^53 rounds, and could come back a little above the cap.
    long capped = base >= maxBackoffNanos ? maxBackoffNanos : (long) base;
    switch (backoffJitter) {
      case FULL:
        return capped == 0 ? 0 : ThreadLocalRandom.current().nextLong(capped + 1);
      case PROPORTIONAL:
        return capped
            - (long) (capped * backoffJitterFraction * ThreadLocalRandom.current().nextDouble());
      case NONE:
      default:
        return capped;
    }
  }

  /**
   * {@return the default classifier described in the class comment} Compose it to adjust it, for
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
        + ", multiplier=" + multiplier + ", backoffJitter=" + backoffJitter
        + (backoffJitter == Jitter.PROPORTIONAL
            ? ", backoffJitterFraction=" + backoffJitterFraction : "")
        + "}";
  }

  /**
   * Builds a {@link RetryPolicy}; an option not set keeps its default. Each option may be set once:
   * setting it again, or setting options that contradict each other, is an {@link
   * IllegalStateException} (at the setter, or at {@link #build()} for combinations). A value out of
   * range is an {@link IllegalArgumentException} naming the option and the value. Not thread-safe.
   */
  public static final class Builder {
    private static final int UNSET_INT = -1;

    private int maxAttempts = UNSET_INT;
    private @Nullable Duration initialBackoff;
    private @Nullable Duration maxBackoff;
    private double multiplier = Double.NaN;
    private @Nullable Jitter backoffJitter;
    private double backoffJitterFraction = Double.NaN;
    private @Nullable Predicate<Throwable> retryable;

    private Builder() {}

    /**
     * Sets the most sink calls per item, the first included; 1 means no retry. Default {@value
     * #DEFAULT_MAX_ATTEMPTS}.
     *
     * @param maxAttempts the most sink calls per item
     * @return this builder
     * @throws IllegalArgumentException if less than 1
     */
    public Builder maxAttempts(int maxAttempts) {
      requireState(this.maxAttempts == UNSET_INT, "maxAttempts was already set to %s",
          this.maxAttempts);
      requireArgument(maxAttempts >= 1, "maxAttempts must be at least 1: %s", maxAttempts);
      this.maxAttempts = maxAttempts;
      return this;
    }

    /**
     * Sets the backoff before the second attempt. Must not exceed {@link #maxBackoff}. Default
     * {@value #DEFAULT_INITIAL_BACKOFF_MILLIS} ms. Longer than about 4.5 years ({@code
     * Long.MAX_VALUE / 64} ns), it is clamped to that, as the batcher's durations are.
     *
     * @param initialBackoff the first backoff
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder initialBackoff(Duration initialBackoff) {
      requireNonNull(initialBackoff, "initialBackoff");
      requireState(this.initialBackoff == null, "initialBackoff was already set to %s",
          this.initialBackoff);
      requireArgument(!initialBackoff.isNegative(), "initialBackoff must not be negative: %s",
          initialBackoff);
      this.initialBackoff = initialBackoff;
      return this;
    }

    /**
     * Sets the cap on any backoff, before jitter. Default {@value #DEFAULT_MAX_BACKOFF_MILLIS} ms.
     * Longer than about 4.5 years ({@code Long.MAX_VALUE / 64} ns), it is clamped to that, as the
     * batcher's durations are.
     *
     * @param maxBackoff the longest backoff
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder maxBackoff(Duration maxBackoff) {
      requireNonNull(maxBackoff, "maxBackoff");
      requireState(this.maxBackoff == null, "maxBackoff was already set to %s", this.maxBackoff);
      requireArgument(!maxBackoff.isNegative(), "maxBackoff must not be negative: %s", maxBackoff);
      this.maxBackoff = maxBackoff;
      return this;
    }

    /**
     * Sets the growth factor between backoffs. Default {@value #DEFAULT_MULTIPLIER}.
     *
     * @param multiplier each backoff over the one before, at least 1
     * @return this builder
     * @throws IllegalArgumentException if below 1 or not finite
     */
    public Builder multiplier(double multiplier) {
      requireState(Double.isNaN(this.multiplier), "multiplier was already set to %s",
          this.multiplier);
      requireArgument(multiplier >= 1 && !Double.isInfinite(multiplier),
          "multiplier must be at least 1: %s", multiplier);
      this.multiplier = multiplier;
      return this;
    }

    /**
     * Sets how each backoff is shortened at random, so that items that failed together do not all
     * retry at the same instant: {@link Jitter#FULL} (the default), {@link Jitter#PROPORTIONAL}
     * (by at most {@link #backoffJitterFraction}, default {@value
     * #DEFAULT_BACKOFF_JITTER_FRACTION}) or {@link Jitter#NONE}. A backoff is never lengthened.
     *
     * @param backoffJitter how backoffs are shortened
     * @return this builder
     */
    public Builder backoffJitter(Jitter backoffJitter) {
      requireNonNull(backoffJitter, "backoffJitter");
      requireState(this.backoffJitter == null, "backoffJitter was already set to %s",
          this.backoffJitter);
      this.backoffJitter = backoffJitter;
      return this;
    }

    /**
     * Sets the most that {@link Jitter#PROPORTIONAL} shortens a backoff by, as a fraction of it:
     * with 0.2, a 100 ms backoff becomes a uniform draw from more than 80 ms up to 100 ms. Only
     * with {@code backoffJitter(PROPORTIONAL)}. Default {@value #DEFAULT_BACKOFF_JITTER_FRACTION}.
     *
     * @param backoffJitterFraction the most a backoff is shortened by, as a fraction of it
     * @return this builder
     * @throws IllegalArgumentException if outside (0, 1]
     */
    public Builder backoffJitterFraction(double backoffJitterFraction) {
      requireState(Double.isNaN(this.backoffJitterFraction),
          "backoffJitterFraction was already set to %s", this.backoffJitterFraction);
      requireArgument(backoffJitterFraction > 0 && backoffJitterFraction <= 1,
          "backoffJitterFraction must be in (0, 1]: %s", backoffJitterFraction);
      this.backoffJitterFraction = backoffJitterFraction;
      return this;
    }

    /**
     * Sets the classifier of failures thrown for a whole batch: true means worth another attempt.
     * Default {@link RetryPolicy#defaultClassifier()}.
     *
     * @param retryable true for a failure worth another attempt
     * @return this builder
     */
    public Builder retryOn(Predicate<Throwable> retryable) {
      requireNonNull(retryable, "retryable");
      requireState(this.retryable == null, "retryOn was already set to %s", this.retryable);
      this.retryable = retryable;
      return this;
    }

    /**
     * Checks the combination of options and returns the policy.
     *
     * @return the policy
     * @throws IllegalStateException if initialBackoff exceeds maxBackoff, or if a
     *     backoffJitterFraction is set without {@code backoffJitter(PROPORTIONAL)}
     */
    public RetryPolicy build() {
      Duration initial = initialBackoff == null
          ? Duration.ofMillis(DEFAULT_INITIAL_BACKOFF_MILLIS) : initialBackoff;
      Duration max = maxBackoff == null
          ? Duration.ofMillis(DEFAULT_MAX_BACKOFF_MILLIS) : maxBackoff;
      Jitter jitter = backoffJitter == null ? DEFAULT_BACKOFF_JITTER : backoffJitter;
      requireState(initial.compareTo(max) <= 0,
          "initialBackoff (%s) must not exceed maxBackoff (%s)", initial, max);
      requireState(Double.isNaN(backoffJitterFraction) || jitter == Jitter.PROPORTIONAL,
          "backoffJitterFraction (%s) applies only to backoffJitter PROPORTIONAL, but"
              + " backoffJitter is %s", backoffJitterFraction, jitter);
      return new RetryPolicy(
          maxAttempts == UNSET_INT ? DEFAULT_MAX_ATTEMPTS : maxAttempts,
          initial,
          max,
          Double.isNaN(multiplier) ? DEFAULT_MULTIPLIER : multiplier,
          jitter,
          Double.isNaN(backoffJitterFraction)
              ? DEFAULT_BACKOFF_JITTER_FRACTION : backoffJitterFraction,
          retryable == null ? RetryPolicy::classify : retryable);
    }
  }
}
