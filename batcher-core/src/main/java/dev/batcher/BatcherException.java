package dev.batcher;

import org.jspecify.annotations.Nullable;

/**
 * The base of the exceptions with which the batcher fails an item's future. Subclasses say whether
 * the item was refused, dropped or failed by the sink.
 */
public abstract class BatcherException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  BatcherException(String message, @Nullable Throwable cause, boolean writableStackTrace) {
    super(message, cause, true, writableStackTrace);
  }

  /**
   * For exceptions that one instance may fail many futures with: suppression is disabled, so a
   * caller's {@link #addSuppressed} on one future's exception never shows up on another's.
   */
  BatcherException(String message, @Nullable Throwable cause, boolean enableSuppression,
      boolean writableStackTrace) {
    super(message, cause, enableSuppression, writableStackTrace);
  }
}
