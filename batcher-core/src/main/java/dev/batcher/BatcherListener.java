package dev.batcher;

/**
 * Receives the batcher's events: every batch written, every item refused, dropped or failed. It
 * is how a metrics binding or an audit log watches the batcher without the core depending on one.
 *
 * <p>Methods are called on batcher worker threads (batch and failure events) or on the producer's
 * thread (refusals, and evictions under {@link OverflowPolicy#DROP_OLDEST}), possibly from several
 * threads at once: implementations must be thread-safe and fast, and must not block. An exception
 * thrown by a listener is logged (rate-limited) and otherwise ignored.
 *
 * @param <T> the item type
 */
public interface BatcherListener<T> {

  /**
   * Called after each sink call, with what came of it.
   *
   * @param event the batch's cause, size, outcome and duration
   */
  default void onBatch(BatchEvent event) {}

  /**
   * Called when {@code item} was refused at submit time.
   *
   * @param item the refused item
   * @param reason why it was refused
   */
  default void onRefused(T item, RefusalReason reason) {}

  /**
   * Called when the accepted {@code item} was abandoned before the sink confirmed it.
   *
   * @param item the dropped item
   * @param reason why it was dropped
   */
  default void onDropped(T item, DropReason reason) {}

  /**
   * Called when the sink failed {@code item} for good (after its retries, and whether or not a
   * dead-letter handler took it).
   *
   * @param item the failed item
   * @param cause the sink's failure of its last attempt
   */
  default void onFailed(T item, Throwable cause) {}

  /**
   * Called when {@code item} failed an attempt and will be tried again after a backoff.
   *
   * @param item the item to be retried
   * @param cause the failure of the attempt
   * @param attemptsSoFar how many attempts it has had, this one included
   */
  default void onRetry(T item, Throwable cause, int attemptsSoFar) {}
}
