package dev.batcher;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * Fails the future of an item that was refused at submit time: it was never accepted, so it was
 * never written. Created without a stack trace, because overload can refuse many items a second and
 * the {@link #reason()} says all there is to say; for the same reason one instance may fail many
 * refused futures, so suppression is disabled ({@link #addSuppressed} does nothing): what one
 * caller attaches never leaks into another caller's exception.
 */
public final class RejectedItemException extends BatcherException {
  private static final long serialVersionUID = 1L;

  /** Why the item was refused. */
  private final RefusalReason reason;

  /**
   * Creates the exception.
   *
   * @param batcherName the name of the batcher that refused the item
   * @param reason why it was refused
   * @param detail a sentence that explains the reason
   * @param cause the underlying failure, if any
   */
  public RejectedItemException(
      String batcherName, RefusalReason reason, String detail, @Nullable Throwable cause) {
    super("batcher '" + batcherName + "' refused the item (" + reason + "): " + detail, cause,
        false, false);
    this.reason = requireNonNull(reason, "reason");
  }

  /** {@return why the item was refused} */
  public RefusalReason reason() {
    return reason;
  }
}
