package dev.batcher;

/** Why a batch was sent to the sink. */
public enum FlushCause {
  /** It reached {@link BatcherBuilder#maxBatchSize(int) maxBatchSize} items. */
  SIZE,
  /**
   * It reached {@link BatcherBuilder#maxBatchWeight(long) maxBatchWeight}, or the next item would
   * have passed it.
   */
  WEIGHT,
  /**
   * Its oldest item had waited {@link BatcherBuilder#maxDelay(java.time.Duration) maxDelay} (plus
   * {@linkplain BatcherBuilder#maxDelayJitter(double) maxDelayJitter}); with a zero delay, a sink slot was free and items were waiting.
   */
  DELAY,
  /** {@link Batcher#flush()} asked for everything waiting to go out now. */
  FLUSH,
  /** The batcher is closing and drains what it accepted. */
  CLOSE,
  /**
   * It carries items whose backoff has passed after a failed attempt, or a half of a failed
   * atomic batch being split to isolate a poison item.
   */
  RETRY
}
