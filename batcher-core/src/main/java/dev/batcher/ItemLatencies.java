package dev.batcher;

/**
 * The enqueue-to-completion latencies of a group of items that just ended, handed to {@link
 * BatcherListener#onItemsCompleted}: one value per accepted item, in nanoseconds of the batcher's
 * {@link TimeSource}, from its acceptance to its ending (written, failed for good, or dropped).
 * These are exactly the values the batcher records in {@link BatcherMetrics#latency()}, so a
 * listener that sums them counts what that distribution counts: items merged by {@code coalesce}
 * into a waiting one share its single value.
 *
 * <p>A view over the batcher's own bookkeeping, so that reporting a batch allocates nothing per
 * item: read it during the call and do not keep it. Not thread-safe; never empty.
 */
public interface ItemLatencies {

  /**
   * How many items ended.
   *
   * @return the number of latencies, at least 1
   */
  int count();

  /**
   * The latency of one of the items.
   *
   * @param index from 0 to {@link #count()} - 1
   * @return the time from its acceptance to its ending, in nanoseconds
   * @throws IndexOutOfBoundsException if {@code index} is out of range
   */
  long nanos(int index);
}
