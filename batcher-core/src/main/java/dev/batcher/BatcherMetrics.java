package dev.batcher;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * A snapshot of a batcher's counters and gauges, from {@link Batcher#metrics()}. Counters count
 * items (an item merged by {@link BatcherBuilder#coalesce coalesce} counts once per submit) since
 * the batcher was built.
 *
 * <p>Every submitted item ends in exactly one of the terminal counters, so {@code submitted ==
 * succeeded + deadLettered + failed + totalRefused() + totalDropped() + pending} at every moment:
 * {@code pending} is derived from the counters of the same snapshot. Retries and bisection steps
 * are counted apart and do not enter that sum. A snapshot is read without stopping the
 * batcher, so its counters are each exact but not all from the same instant.
 *
 * @param submitted items passed to {@code submit} or {@code offer}, refused ones included
 * @param succeeded items the sink wrote
 * @param deadLettered items the sink failed for good that the dead-letter handler took
 * @param failed items the sink failed for good that no handler took (none set, or it threw)
 * @param refused items refused at submit time, by reason (every reason present, zeros included)
 * @param dropped accepted items abandoned before the sink confirmed them, by reason
 * @param batches sink calls, by flush cause
 * @param retries item attempts scheduled after a failure (an item retried twice counts twice)
 * @param bisections failed atomic batches split in two to isolate poison items
 * @param pending items accepted and not yet finished (waiting, in flight, or awaiting a retry)
 * @param queueDepth items waiting in the queue for a batch
 * @param inFlightBatches sink calls under way now, at most {@code maxInFlightBatches}
 * @param abandonedCallsRunning sink calls abandoned after {@code deliveryTimeout} (or by {@code
 *     close(Duration)}) that have not returned yet: they run beside the {@code inFlightBatches}
 * @param batchSize the distribution of batch sizes, in items
 * @param latency the distribution of enqueue-to-completion times of finished items, in nanoseconds
 */
public record BatcherMetrics(
    long submitted,
    long succeeded,
    long deadLettered,
    long failed,
    Map<RefusalReason, Long> refused,
    Map<DropReason, Long> dropped,
    Map<FlushCause, Long> batches,
    long retries,
    long bisections,
    long pending,
    long queueDepth,
    int inFlightBatches,
    int abandonedCallsRunning,
    Distribution batchSize,
    Distribution latency) {

  /**
   * Copies the maps so that the snapshot is immutable.
   *
   * @param submitted items passed to {@code submit} or {@code offer}, refused ones included
   * @param succeeded items the sink wrote
   * @param deadLettered items the sink failed for good that the dead-letter handler took
   * @param failed items the sink failed for good that no handler took (none set, or it threw)
   * @param refused items refused at submit time, by reason (every reason present, zeros included)
   * @param dropped accepted items abandoned before the sink confirmed them, by reason
   * @param batches sink calls, by flush cause
   * @param retries item attempts scheduled after a failure (an item retried twice counts twice)
   * @param bisections failed atomic batches split in two to isolate poison items
   * @param pending items accepted and not yet finished (waiting, in flight, or awaiting a retry)
   * @param queueDepth items waiting in the queue for a batch
   * @param inFlightBatches sink calls under way now, at most {@code maxInFlightBatches}
   * @param abandonedCallsRunning sink calls abandoned after {@code deliveryTimeout} (or by {@code
   *     close(Duration)}) that have not returned yet: they run beside the {@code inFlightBatches}
   * @param batchSize the distribution of batch sizes, in items
   * @param latency the distribution of enqueue-to-completion times of finished items, in
   *     nanoseconds
   */
  public BatcherMetrics {
    refused = Collections.unmodifiableMap(new EnumMap<>(requireNonNull(refused, "refused")));
    dropped = Collections.unmodifiableMap(new EnumMap<>(requireNonNull(dropped, "dropped")));
    batches = Collections.unmodifiableMap(new EnumMap<>(requireNonNull(batches, "batches")));
    requireNonNull(batchSize, "batchSize");
    requireNonNull(latency, "latency");
  }

  /** {@return the number of items refused for any reason} */
  public long totalRefused() {
    return refused.values().stream().mapToLong(Long::longValue).sum();
  }

  /** {@return the number of accepted items dropped for any reason} */
  public long totalDropped() {
    return dropped.values().stream().mapToLong(Long::longValue).sum();
  }

  /** {@return the number of sink calls for any cause} */
  public long totalBatches() {
    return batches.values().stream().mapToLong(Long::longValue).sum();
  }
}
