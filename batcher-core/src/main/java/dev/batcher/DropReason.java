package dev.batcher;

/**
 * Why an accepted item was abandoned before the sink confirmed it. Unlike a refusal, a dropped
 * item had been accepted: {@link #DELIVERY_TIMEOUT} and {@link #CLOSE_TIMEOUT} may hit an item
 * whose write was under way, so it may still have reached the destination.
 */
public enum DropReason {
  /** Evicted by a newer item under {@link OverflowPolicy#DROP_OLDEST}; it was never written. */
  EVICTED,
  /** Not finished within {@link BatcherBuilder#deliveryTimeout deliveryTimeout}. */
  DELIVERY_TIMEOUT,
  /** Not finished when {@link Batcher#close(java.time.Duration)} ran out of time. */
  CLOSE_TIMEOUT
}
