package dev.batcher;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * The outcome of one {@link BatchSink#write} call: either every item succeeded, or an outcome for
 * each item by its index in the batch, like an HTTP 207 Multi-Status body.
 *
 * <p>An item marked {@link Outcome#FAILED_RETRYABLE} failed for a reason that may pass (a lock
 * timeout, a lost connection); {@link Outcome#FAILED_PERMANENTLY} means trying again cannot help
 * (a constraint violation, malformed data). Items not marked succeeded.
 *
 * <p>Instances are immutable and thread-safe. {@link #success()} is a shared constant.
 */
public final class BatchResult {

  /** What happened to one item of a batch. */
  public enum Outcome {
    /** The item was written. */
    SUCCEEDED,
    /** The item was not written, and writing it again may succeed. */
    FAILED_RETRYABLE,
    /** The item was not written, and writing it again cannot succeed. */
    FAILED_PERMANENTLY
  }

  private static final BatchResult SUCCESS = new BatchResult(-1, null, null, 0);

  private final int size;
  private final Outcome @Nullable [] outcomes;
  private final Throwable @Nullable [] causes;
  private final int failedCount;

  private BatchResult(
      int size, Outcome @Nullable [] outcomes, Throwable @Nullable [] causes, int failedCount) {
    this.size = size;
    this.outcomes = outcomes;
    this.causes = causes;
    this.failedCount = failedCount;
  }

  /** Returns the result of a batch whose items all succeeded, whatever its size. */
  public static BatchResult success() {
    return SUCCESS;
  }

  /**
   * Returns a builder for per-item outcomes of a batch of {@code batchSize} items, all of them
   * {@link Outcome#SUCCEEDED} until marked otherwise.
   *
   * @throws IllegalArgumentException if {@code batchSize} is negative
   */
  public static Builder builder(int batchSize) {
    if (batchSize < 0) {
      throw new IllegalArgumentException("batchSize must not be negative: " + batchSize);
    }
    return new Builder(batchSize);
  }

  /** Returns true when every item succeeded. */
  public boolean isSuccess() {
    return failedCount == 0;
  }

  /** Returns how many items failed, retryably or permanently. */
  public int failedCount() {
    return failedCount;
  }

  /**
   * Returns the number of items this result describes, or -1 for {@link #success()}, which fits a
   * batch of any size.
   */
  public int size() {
    return size;
  }

  /**
   * Returns the outcome of the item at {@code index}.
   *
   * @throws IndexOutOfBoundsException if this is a per-item result and {@code index} is outside it
   */
  public Outcome outcome(int index) {
    if (outcomes == null) {
      return Outcome.SUCCEEDED;
    }
    return outcomes[checkIndex(index)];
  }

  /** Returns the cause the sink gave for a failed item, or null for a succeeded one. */
  public @Nullable Throwable cause(int index) {
    if (causes == null) {
      return null;
    }
    return causes[checkIndex(index)];
  }

  private int checkIndex(int index) {
    if (index < 0 || index >= size) {
      throw new IndexOutOfBoundsException(
          "index " + index + " is outside a batch result of " + size + " items");
    }
    return index;
  }

  @Override
  public String toString() {
    if (outcomes == null) {
      return "BatchResult{success}";
    }
    return "BatchResult{size=" + size + ", failed=" + failedCount + "}";
  }

  /**
   * Collects per-item outcomes. Not thread-safe; build one result per batch on one thread.
   */
  public static final class Builder {
    private final Outcome[] outcomes;
    private final Throwable[] causes;
    private int failedCount;

    private Builder(int size) {
      this.outcomes = new Outcome[size];
      Arrays.fill(outcomes, Outcome.SUCCEEDED);
      this.causes = new Throwable[size];
    }

    /**
     * Marks the item at {@code index} as failed for a reason that may pass on a later attempt.
     *
     * @throws IndexOutOfBoundsException if {@code index} is outside the batch
     * @throws IllegalStateException if that item was already marked failed
     */
    public Builder failedRetryably(int index, Throwable cause) {
      return mark(index, Outcome.FAILED_RETRYABLE, cause);
    }

    /**
     * Marks the item at {@code index} as failed for good: it will not be written again.
     *
     * @throws IndexOutOfBoundsException if {@code index} is outside the batch
     * @throws IllegalStateException if that item was already marked failed
     */
    public Builder failedPermanently(int index, Throwable cause) {
      return mark(index, Outcome.FAILED_PERMANENTLY, cause);
    }

    private Builder mark(int index, Outcome outcome, Throwable cause) {
      requireNonNull(cause, "cause");
      if (index < 0 || index >= outcomes.length) {
        throw new IndexOutOfBoundsException(
            "index " + index + " is outside a batch of " + outcomes.length + " items");
      }
      if (outcomes[index] != Outcome.SUCCEEDED) {
        throw new IllegalStateException(
            "item " + index + " was already marked " + outcomes[index]);
      }
      outcomes[index] = outcome;
      causes[index] = cause;
      failedCount++;
      return this;
    }

    /** Returns the result; the builder may not be used afterwards to change it. */
    public BatchResult build() {
      if (failedCount == 0) {
        return new BatchResult(outcomes.length, null, null, 0);
      }
      return new BatchResult(outcomes.length, outcomes.clone(), causes.clone(), failedCount);
    }
  }
}
