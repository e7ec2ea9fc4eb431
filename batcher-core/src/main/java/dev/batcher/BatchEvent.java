package dev.batcher;

import static java.util.Objects.requireNonNull;

/**
 * What happened in one sink call, reported to {@link BatcherListener#onBatch} after it finished.
 *
 * <p>Immutable, and so thread-safe. No component is null ({@code cause} is checked).
 *
 * @param cause why the batch was sent
 * @param size how many items it held
 * @param weight their total weight (0 without a weigher)
 * @param succeeded how many of them the sink wrote
 * @param failed how many of them did not succeed in this call: failed permanently or retryably
 *     (and scheduled again), failed by a thrown exception, or already dropped at their delivery
 *     timeout while the call ran
 * @param sinkNanos how long the sink call took, in nanoseconds
 */
public record BatchEvent(
    FlushCause cause, int size, long weight, int succeeded, int failed, long sinkNanos) {

  /**
   * Checks the components.
   *
   * @param cause why the batch was sent
   * @param size how many items it held
   * @param weight their total weight (0 without a weigher)
   * @param succeeded how many of them the sink wrote
   * @param failed how many of them did not succeed in this call: failed permanently or retryably
   *     (and scheduled again), failed by a thrown exception, or already dropped at their delivery
   *     timeout while the call ran
   * @param sinkNanos how long the sink call took, in nanoseconds
   */
  public BatchEvent {
    requireNonNull(cause, "cause");
  }
}
