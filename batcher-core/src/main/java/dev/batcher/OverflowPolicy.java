package dev.batcher;

/**
 * What {@link Batcher#submit} does when the queue already holds {@link
 * BatcherBuilder#queueCapacity(int) queueCapacity} accepted-but-unfinished items (or their weight
 * would pass {@link BatcherBuilder#queueCapacityWeight(long) queueCapacityWeight}).
 *
 * <p>Whatever the policy, every item it refuses or drops is counted in {@link
 * Batcher#metrics()} and its future fails with an exception that says why. {@link
 * Batcher#offer} never blocks: under {@link #BLOCK} it refuses at once.
 */
public enum OverflowPolicy {
  /**
   * The producer waits, interruptibly and at most {@link
   * BatcherBuilder#blockTimeout(java.time.Duration) blockTimeout}, for room; then the item is
   * refused with {@link RefusalReason#BLOCK_TIMEOUT} (or {@link RefusalReason#INTERRUPTED}). Waits
   * use {@code java.util.concurrent} locks, so virtual threads are not pinned.
   */
  BLOCK,
  /** The item is refused at once with {@link RefusalReason#QUEUE_FULL}: load shedding at the door. */
  FAIL,
  /**
   * The oldest item still waiting in the queue is evicted (its future fails with {@link
   * DropReason#EVICTED}) to make room. When nothing is waiting (all capacity is held by batches in
   * flight) the new item is refused with {@link RefusalReason#QUEUE_FULL}.
   */
  DROP_OLDEST
}
