package dev.batcher;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * The outcome of one {@link BatchSink#write} call: every item succeeded ({@link #success()}), an
 * outcome for each item by its index in the batch, like an HTTP 207 Multi-Status body ({@link
 * #builder(int)}), or a failure of the batch as a whole that is about none of its items ({@link
 * #batchFailed(Throwable)}).
 *
 * <p>An item marked {@link Outcome#FAILED_RETRYABLE} failed for a reason that may pass (a lock
 * timeout, a lost connection); {@link Outcome#FAILED_PERMANENTLY} means trying again cannot help
 * (a constraint violation, malformed data); {@link Outcome#NOT_ATTEMPTED} means the item was not
 * written because another item failed (the transaction was rolled back) and should simply be sent
 * again. Items not marked succeeded.
 *
 * <p><b>Pinpointing a poison item.</b> A sink that learns which item broke an all-or-nothing
 * batch (a database that names the failing row) marks that item failed and every other one
 * {@linkplain Builder#othersNotAttempted() not attempted}: the others are sent again at once, in
 * one call, instead of the batch being split in halves until the poison is found.
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
    FAILED_PERMANENTLY,
    /**
     * The item was not written, through no fault of its own: another item's failure rolled the
     * batch back. It is sent again at once, without a backoff, and the send does not count as an
     * attempt of its own. A result must mark at least one item otherwise (the one that failed);
     * a result whose every item is not attempted is a broken contract.
     */
    NOT_ATTEMPTED
  }

  private static final BatchResult SUCCESS = new BatchResult(-1, null, null, 0, 0, null);

  private final int size;
  private final Outcome @Nullable [] outcomes;
  private final Throwable @Nullable [] causes;
  private final int failedCount;
  private final int notAttemptedCount;
  private final @Nullable Throwable batchFailure;

  private BatchResult(int size, Outcome @Nullable [] outcomes, Throwable @Nullable [] causes,
      int failedCount, int notAttemptedCount, @Nullable Throwable batchFailure) {
    this.size = size;
    this.outcomes = outcomes;
    this.causes = causes;
    this.failedCount = failedCount;
    this.notAttemptedCount = notAttemptedCount;
    this.batchFailure = batchFailure;
  }

  /** {@return the result of a batch whose items all succeeded, whatever its size} */
  public static BatchResult success() {
    return SUCCESS;
  }

  /**
   * {@return the result of a batch that failed as a whole for a reason that is about none of its
   * items: a missing table, bad credentials, a lost connection} Like throwing {@code cause}, the
   * batch is retried as a whole while the {@link RetryPolicy} deems the cause retryable and
   * attempts remain, and otherwise every item fails with it; unlike throwing, it is never split
   * to isolate a poison item (splitting 5,000 items to learn that a table is missing would cost
   * 10,000 calls). Fits a batch of any size.
   *
   * @param cause the failure, about no item in particular
   * @throws NullPointerException if {@code cause} is null
   */
  public static BatchResult batchFailed(Throwable cause) {
    requireNonNull(cause, "cause");
    return new BatchResult(-1, null, null, 0, 0, cause);
  }

  /**
   * {@return a builder for per-item outcomes of a batch of {@code batchSize} items, all of them
   * {@link Outcome#SUCCEEDED} until marked otherwise}
   *
   * @param batchSize the number of items in the batch
   * @throws IllegalArgumentException if {@code batchSize} is negative
   */
  public static Builder builder(int batchSize) {
    if (batchSize < 0) {
      throw new IllegalArgumentException("batchSize must not be negative: " + batchSize);
    }
    return new Builder(batchSize);
  }

  /** {@return true when every item succeeded} */
  public boolean isSuccess() {
    return failedCount == 0 && notAttemptedCount == 0 && batchFailure == null;
  }

  /** {@return how many items failed, retryably or permanently (0 for {@link #batchFailed})} */
  public int failedCount() {
    return failedCount;
  }

  /** {@return how many items were marked {@link Outcome#NOT_ATTEMPTED}} */
  public int notAttemptedCount() {
    return notAttemptedCount;
  }

  /** {@return the cause given to {@link #batchFailed(Throwable)}, or null for other results} */
  public @Nullable Throwable batchFailure() {
    return batchFailure;
  }

  /**
   * {@return the number of items this result describes, or -1 for {@link #success()}, which fits a
   * batch of any size}
   */
  public int size() {
    return size;
  }

  /**
   * {@return the outcome of the item at {@code index}}
   *
   * @param index the item's position in the batch
   * @throws IndexOutOfBoundsException if this is a per-item result and {@code index} is outside it
   */
  public Outcome outcome(int index) {
    if (batchFailure != null) {
      throw new IllegalStateException("a batch failure has no per-item outcomes");
    }
    if (outcomes == null) {
      return Outcome.SUCCEEDED;
    }
    return outcomes[checkIndex(index)];
  }

  /**
   * {@return the cause the sink gave for a failed item, or null for a succeeded one (and for one
   * not attempted, unless the sink gave the other item's failure)}
   *
   * @param index the item's position in the batch
   */
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
    if (batchFailure != null) {
      return "BatchResult{batchFailed=" + batchFailure + "}";
    }
    if (outcomes == null) {
      return "BatchResult{success}";
    }
    return "BatchResult{size=" + size + ", failed=" + failedCount
        + (notAttemptedCount == 0 ? "" : ", notAttempted=" + notAttemptedCount) + "}";
  }

  /**
   * Collects per-item outcomes. Not thread-safe; build one result per batch on one thread.
   */
  public static final class Builder {
    private final Outcome[] outcomes;
    private final Throwable[] causes;
    private int failedCount;
    private int notAttemptedCount;

    private Builder(int size) {
      this.outcomes = new Outcome[size];
      Arrays.fill(outcomes, Outcome.SUCCEEDED);
      this.causes = new Throwable[size];
    }

    /**
     * Marks the item at {@code index} as failed for a reason that may pass on a later attempt.
     *
     * @param index the item's position in the batch
     * @param cause why it failed
     * @return this builder
     * @throws IndexOutOfBoundsException if {@code index} is outside the batch
     * @throws IllegalStateException if that item was already marked failed
     */
    public Builder failedRetryably(int index, Throwable cause) {
      return mark(index, Outcome.FAILED_RETRYABLE, cause);
    }

    /**
     * Marks the item at {@code index} as failed for good: it will not be written again.
     *
     * @param index the item's position in the batch
     * @param cause why it failed
     * @return this builder
     * @throws IndexOutOfBoundsException if {@code index} is outside the batch
     * @throws IllegalStateException if that item was already marked failed
     */
    public Builder failedPermanently(int index, Throwable cause) {
      return mark(index, Outcome.FAILED_PERMANENTLY, cause);
    }

    /**
     * Marks the item at {@code index} as not attempted: it was not written because another item's
     * failure rolled the batch back, and is sent again at once, without counting an attempt.
     *
     * @param index the item's position in the batch
     * @return this builder
     * @throws IndexOutOfBoundsException if {@code index} is outside the batch
     * @throws IllegalStateException if that item was already marked
     */
    public Builder notAttempted(int index) {
      return mark(index, Outcome.NOT_ATTEMPTED, null);
    }

    /**
     * Marks every item not marked so far as {@linkplain #notAttempted(int) not attempted}: for a
     * sink that pinpointed the item that broke an all-or-nothing batch and marked it failed.
     *
     * @return this builder
     */
    public Builder othersNotAttempted() {
      for (int i = 0; i < outcomes.length; i++) {
        if (outcomes[i] == Outcome.SUCCEEDED) {
          outcomes[i] = Outcome.NOT_ATTEMPTED;
          notAttemptedCount++;
        }
      }
      return this;
    }

    private Builder mark(int index, Outcome outcome, @Nullable Throwable cause) {
      if (outcome != Outcome.NOT_ATTEMPTED) {
        requireNonNull(cause, "cause");
      }
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
      if (outcome == Outcome.NOT_ATTEMPTED) {
        notAttemptedCount++;
      } else {
        failedCount++;
      }
      return this;
    }

    /** {@return the result; the builder may not be used afterwards to change it} */
    public BatchResult build() {
      if (failedCount == 0 && notAttemptedCount == 0) {
        return new BatchResult(outcomes.length, null, null, 0, 0, null);
      }
      return new BatchResult(outcomes.length, outcomes.clone(), causes.clone(), failedCount,
          notAttemptedCount, null);
    }
  }
}
