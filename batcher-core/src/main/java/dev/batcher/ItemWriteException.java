package dev.batcher;

/**
 * Fails the future of an item that the sink could not write, after its retries if it had any: its
 * {@link #getCause() cause} is the failure of its last attempt (its own, when bisection isolated
 * it). When a {@link DeadLetterHandler} took the item, {@link #deadLettered()} is true; when the
 * handler threw, its exception is attached as {@linkplain #getSuppressed() suppressed}.
 */
public final class ItemWriteException extends BatcherException {
  private static final long serialVersionUID = 1L;

  private final int attempts;
  private final boolean deadLettered;

  /**
   * Creates the exception.
   *
   * @param batcherName the name of the batcher
   * @param cause the sink's failure
   * @param attempts how many times the item was handed to the sink
   * @param deadLettered whether the dead-letter handler took the item
   */
  public ItemWriteException(
      String batcherName, Throwable cause, int attempts, boolean deadLettered) {
    super(
        "batcher '" + batcherName + "' could not write the item after " + attempts
            + (attempts == 1 ? " attempt" : " attempts")
            + (deadLettered ? " (dead-lettered): " : ": ") + cause,
        cause,
        false);
    this.attempts = attempts;
    this.deadLettered = deadLettered;
  }

  /** Returns how many times the item was handed to the sink. */
  public int attempts() {
    return attempts;
  }

  /** Returns whether the dead-letter handler took the item. */
  public boolean deadLettered() {
    return deadLettered;
  }
}
