package dev.batcher;

/**
 * Fails the future of an item that the sink could not write: its {@link #getCause() cause} is the
 * failure the sink reported for the item (or threw for its whole batch).
 */
public final class ItemWriteException extends BatcherException {
  private static final long serialVersionUID = 1L;

  private final int attempts;

  /**
   * Creates the exception.
   *
   * @param batcherName the name of the batcher
   * @param cause the sink's failure
   * @param attempts how many times the item was handed to the sink
   */
  public ItemWriteException(String batcherName, Throwable cause, int attempts) {
    super(
        "batcher '" + batcherName + "' could not write the item after " + attempts
            + (attempts == 1 ? " attempt: " : " attempts: ") + cause,
        cause,
        false);
    this.attempts = attempts;
  }

  /** Returns how many times the item was handed to the sink. */
  public int attempts() {
    return attempts;
  }
}
