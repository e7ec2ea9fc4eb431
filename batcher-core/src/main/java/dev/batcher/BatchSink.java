package dev.batcher;

import java.util.List;

/**
 * Writes one batch of items to the destination (a database, a cache, a remote API).
 *
 * <p>The batcher calls {@link #write} on its own worker threads, never on a producer's thread, with
 * at most {@link BatcherBuilder#maxInFlightBatches(int) maxInFlightBatches} calls at once; an
 * implementation that allows more than one batch in flight must be thread-safe. With one batch in
 * flight (the default), batches arrive in the order their items were accepted, except that a
 * retried item loses its place (it is sent after its backoff, beside newer items) and a call
 * abandoned after the delivery timeout may still be running beside newer ones.
 *
 * <p>How a call ends decides what happens to its items:
 * <ul>
 *   <li>returning {@link BatchResult#success()}: every item succeeded;
 *   <li>returning a per-item result from {@link BatchResult#builder(int)}: each item ends as that
 *       result says (like an HTTP 207 Multi-Status body);
 *   <li>throwing: the whole batch failed with that cause.
 * </ul>
 *
 * <p>A call that hangs holds its slot until the batcher's {@link
 * BatcherBuilder#deliveryTimeout(java.time.Duration) deliveryTimeout} expires; the batcher then
 * fails its items, interrupts the calling thread and goes on with a fresh worker, so set the
 * destination's own timeouts (a JDBC query timeout, a socket timeout) below the delivery timeout.
 *
 * @param <T> the item type
 */
@FunctionalInterface
public interface BatchSink<T> {

  /**
   * Writes the batch.
   *
   * @param batch the items, in acceptance order (retried items may come out of order); never
   *     empty, never larger than the configured {@code maxBatchSize}; unmodifiable, and valid
   *     only for the duration of the call (copy what you keep)
   * @return the outcome: {@link BatchResult#success()} or a per-item result whose size equals the
   *     batch size
   * @throws Exception when the whole batch failed
   */
  BatchResult write(List<T> batch) throws Exception;

  /**
   * Whether a batch is all-or-nothing: when {@link #write} throws, none of its items were
   * written (a JDBC sink that commits the batch in one transaction is atomic). Only the batches of
   * an atomic sink are split to isolate poison items, because re-sending part of a batch that was
   * partly written would write the good items twice. Default false.
   *
   * @return true if a call that throws wrote none of the batch
   */
  default boolean isAtomic() {
    return false;
  }

  /**
   * Returns {@code sink} declared {@linkplain #isAtomic() atomic}; for sinks written as lambdas.
   *
   * @param <T> the item type
   * @param sink the sink to declare atomic
   * @return a sink that writes as {@code sink} does and is atomic
   * @throws NullPointerException if {@code sink} is null
   */
  static <T> BatchSink<T> atomic(BatchSink<T> sink) {
    java.util.Objects.requireNonNull(sink, "sink");
    return new BatchSink<>() {
      @Override
      public BatchResult write(List<T> batch) throws Exception {
        return sink.write(batch);
      }

      @Override
      public boolean isAtomic() {
        return true;
      }

      @Override
      public String toString() {
        return "atomic(" + sink + ")";
      }
    };
  }
}
