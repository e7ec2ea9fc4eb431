package dev.batcher;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/** Small helpers the behaviour tests share. */
final class TestSupport {
  private TestSupport() {}

  /** Asserts that {@code f} failed and returns why (the cause of the CompletionException). */
  static Throwable failureOf(CompletableFuture<?> f) {
    return assertThatThrownBy(f::join).isInstanceOf(CompletionException.class)
        .actual().getCause();
  }

  /**
   * An exception that cannot be printed: its {@code toString()} and {@code getMessage()} throw,
   * as a buggy exception class's can. Our messages and logs must not depend on either.
   */
  static final class UnprintableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    @Override
    public String getMessage() {
      throw new IllegalStateException("getMessage() of an unprintable exception");
    }

    @Override
    public String toString() {
      throw new IllegalStateException("toString() of an unprintable exception");
    }
  }

  /** A retry policy with a fixed backoff and no jitter, for tests on the manual clock. */
  static RetryPolicy fixedBackoff(int attempts, Duration backoff) {
    return RetryPolicy.builder().maxAttempts(attempts).initialBackoff(backoff).maxBackoff(backoff)
        .backoffJitter(RetryPolicy.Jitter.NONE).build();
  }
}
