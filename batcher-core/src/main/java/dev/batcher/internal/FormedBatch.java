package dev.batcher.internal;

import dev.batcher.FlushCause;
import java.util.List;

/**
 * A batch the former took out of the waiting room, ready for the sink. Immutable.
 *
 * <p>Internal: not API, may change in any release.
 */
final class FormedBatch<T> {
  final List<Entry<T>> entries;
  final FlushCause cause;
  final long weight;
  /** A half of a failed atomic batch: sent exactly as it is, never mixed with other items. */
  final boolean pinned;
  /** Holds entries that were attempted before: dispatch counts their attempts. */
  final boolean retried;
  /**
   * A half sent at once after a split: the same attempt, narrowed, so dispatch does not count it
   * as another attempt of its items (their splits are counted instead).
   */
  final boolean isolating;
  FormedBatch(List<Entry<T>> entries, FlushCause cause, long weight, boolean pinned,
      boolean retried, boolean isolating) {
    this.entries = entries;
    this.cause = cause;
    this.weight = weight;
    this.pinned = pinned;
    this.retried = retried;
    this.isolating = isolating;
  }
}
