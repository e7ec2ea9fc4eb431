package dev.batcher;

/**
 * Receives the batcher's events: every batch written, every item refused, dropped or failed. It
 * is how a metrics binding or an audit log watches the batcher without the core depending on one.
 *
 * <p>Methods are called on batcher worker threads (batch and failure events) or on the producer's
 * thread (refusals, and evictions under {@link OverflowPolicy#DROP_OLDEST}), possibly from several
 * threads at once: implementations must be thread-safe and fast, and must not block. An exception
 * thrown by a listener is logged (rate-limited) and otherwise ignored: the items still end as they
 * would have.
 *
 * <p><b>Events come before futures.</b> The events of items that end ({@link #onFailed}, {@link
 * #onDropped}, {@link #onItemsCompleted}, and {@link #onBatch} for the sink call they ended in)
 * are delivered after the batcher's counters ({@link Batcher#metrics()}) count them and before
 * their futures complete (the latency distribution, {@link BatcherMetrics#latency()}, takes them
 * in as the futures complete, in the same pass, so it may trail the futures by a moment). So once a caller has joined an item's future, or {@link Batcher#flush()},
 * every event about those items has been delivered: a scrape of meters fed by the listener sees
 * them. The price is that a listener's time delays those futures: keep it short. {@link
 * #onRefused} comes before the refused item's future fails; {@link #onRetry} ends nothing.
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
   * Called when items ended, with each one's enqueue-to-completion latency: once per group of
   * items that end together (a sink call's items, the items a delivery timeout or an eviction
   * drops), on the thread that ends them, before their futures complete. Every ending the
   * batcher's {@link BatcherMetrics#latency()} records is reported here, with the same value.
   *
   * <p>Costs nothing unless overridden: a listener that keeps this empty default is never called
   * and no view is made. The view is valid only during the call.
   *
   * @param latencies the latencies, in nanoseconds, one per ending entry (items merged by {@code
   *     coalesce} share their entry's)
   */
  default void onItemsCompleted(ItemLatencies latencies) {}

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
