package dev.batcher;

import static java.util.Objects.requireNonNull;

import dev.batcher.internal.Describe;
import org.jspecify.annotations.Nullable;

/**
 * Fails the future of an accepted item that the batcher abandoned before the sink confirmed it.
 * See {@link DropReason} for when the item may nevertheless have been written. When the item had
 * failed attempts before it was dropped (it timed out waiting for a retry, say), the {@linkplain
 * #getCause() cause} is the sink's last error for it.
 *
 * <p>Created without a stack trace; one instance may fail the futures of many items dropped
 * together, so suppression is disabled ({@link #addSuppressed} does nothing).
 */
public final class DroppedItemException extends BatcherException {
  private static final long serialVersionUID = 1L;

  /** Why the item was dropped. */
  private final DropReason reason;

  /**
   * Creates the exception.
   *
   * @param batcherName the name of the batcher that dropped the item
   * @param reason why it was dropped
   * @param detail a sentence that explains the reason
   */
  public DroppedItemException(String batcherName, DropReason reason, String detail) {
    this(batcherName, reason, detail, null);
  }

  /**
   * Creates the exception for an item whose earlier attempts failed.
   *
   * @param batcherName the name of the batcher that dropped the item
   * @param reason why it was dropped
   * @param detail a sentence that explains the reason
   * @param lastError the sink's last error for the item, or null if it never failed
   */
  public DroppedItemException(
      String batcherName, DropReason reason, String detail, @Nullable Throwable lastError) {
    super("batcher '" + batcherName + "' dropped the item (" + reason + "): " + detail
        + (lastError == null ? "" : "; its last attempt failed: " + Describe.of(lastError)),
        lastError, false, false);
    this.reason = requireNonNull(reason, "reason");
  }

  /** {@return why the item was dropped} */
  public DropReason reason() {
    return reason;
  }
}
