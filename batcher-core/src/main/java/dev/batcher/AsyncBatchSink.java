package dev.batcher;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * A {@link BatchSink} for non-blocking clients: {@link #write} starts the write and returns a
 * stage that completes when it has finished.
 *
 * <p>{@code write} is called on the batcher's one async worker thread, one call at a time (calls
 * never overlap), and must return promptly; the batcher keeps at most {@link
 * BatcherBuilder#maxInFlightBatches(int) maxInFlightBatches} stages outstanding. With more than
 * one, several writes are in progress at once (a later call starts before an earlier stage
 * completed), so the client behind the sink must allow that, and their stages may complete in
 * any order, on whatever threads complete them. A stage that completes with a {@link
 * BatchResult} ends the items as that result says; a stage that completes exceptionally, or a
 * {@code write} that throws, fails the whole batch. A stage that never completes is abandoned at
 * the delivery timeout and its slot freed.
 *
 * @param <T> the item type
 */
@FunctionalInterface
public interface AsyncBatchSink<T> {

  /**
   * Starts writing the batch.
   *
   * @param batch the items, in acceptance order (retried items may come out of order, as for
   *     {@link BatchSink#write}); never empty, never larger than the configured {@code
   *     maxBatchSize}; unmodifiable, and valid until the returned stage completes
   * @return a stage completing with the outcome
   */
  CompletionStage<BatchResult> write(List<T> batch);

  /**
   * Whether a batch is all-or-nothing: when the stage fails, none of its items were written. See
   * {@link BatchSink#isAtomic()}. Default false.
   *
   * @return true if a stage that fails means that none of the batch was written
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
  static <T> AsyncBatchSink<T> atomic(AsyncBatchSink<T> sink) {
    java.util.Objects.requireNonNull(sink, "sink");
    return new AsyncBatchSink<>() {
      @Override
      public CompletionStage<BatchResult> write(List<T> batch) {
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
