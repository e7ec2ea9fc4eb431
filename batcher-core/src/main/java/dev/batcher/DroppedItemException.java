package dev.batcher;

import static java.util.Objects.requireNonNull;

/**
 * Fails the future of an accepted item that the batcher abandoned before the sink confirmed it.
 * See {@link DropReason} for when the item may nevertheless have been written.
 */
public final class DroppedItemException extends BatcherException {
  private static final long serialVersionUID = 1L;

  private final DropReason reason;

  /**
   * Creates the exception.
   *
   * @param batcherName the name of the batcher that dropped the item
   * @param reason why it was dropped
   * @param detail a sentence that explains the reason
   */
  public DroppedItemException(String batcherName, DropReason reason, String detail) {
    super("batcher '" + batcherName + "' dropped the item (" + reason + "): " + detail, null, false);
    this.reason = requireNonNull(reason, "reason");
  }

  /** Returns why the item was dropped. */
  public DropReason reason() {
    return reason;
  }
}
