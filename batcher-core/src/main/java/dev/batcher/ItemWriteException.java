package dev.batcher;

import dev.batcher.internal.Describe;

/**
 * Fails the future of an item that the sink could not write, after its retries if it had any: its
 * {@link #getCause() cause} is the failure of its last attempt (its own, when bisection isolated
 * it). When a {@link DeadLetterHandler} took the item, {@link #deadLettered()} is true; when the
 * handler threw, its exception is attached as {@linkplain #getSuppressed() suppressed}.
 *
 * <p>Two counts say what was tried: {@link #attempts()}, in the {@link RetryPolicy}'s sense (the
 * first send and each send after a backoff), and {@link #splits()}, how many times a failed atomic
 * batch holding the item was split in two to isolate it. A constraint violation in a batch of
 * 1,000 that was never retried reads "after 1 attempt, isolated by 10 splits".
 */
public final class ItemWriteException extends BatcherException {
  private static final long serialVersionUID = 1L;

  /** How many attempts the item had. */
  private final int attempts;
  /** How many times a failed batch holding the item was split to isolate it. */
  private final int splits;
  /** Whether the dead-letter handler took the item. */
  private final boolean deadLettered;

  /**
   * Creates the exception.
   *
   * @param batcherName the name of the batcher
   * @param cause the sink's failure
   * @param attempts how many attempts the item had (sends after a split are not attempts)
   * @param splits how many times a failed batch holding the item was split to isolate it
   * @param deadLettered whether the dead-letter handler took the item
   */
  public ItemWriteException(
      String batcherName, Throwable cause, int attempts, int splits, boolean deadLettered) {
    super(
        "batcher '" + batcherName + "' could not write the item after " + attempts
            + (attempts == 1 ? " attempt" : " attempts")
            + (splits == 0 ? "" : ", isolated by " + splits + (splits == 1 ? " split" : " splits"))
            + (deadLettered ? " (dead-lettered): " : ": ") + Describe.of(cause),
        cause,
        false);
    this.attempts = attempts;
    this.splits = splits;
    this.deadLettered = deadLettered;
  }

  /**
   * {@return how many attempts the item had: its first send and each send after a backoff; the
   * sends of halves after a split are part of the attempt that failed}
   */
  public int attempts() {
    return attempts;
  }

  /** {@return how many times a failed atomic batch holding the item was split to isolate it} */
  public int splits() {
    return splits;
  }

  /** {@return whether the dead-letter handler took the item} */
  public boolean deadLettered() {
    return deadLettered;
  }
}
