package dev.batcher;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * An item the batcher gave up on, handed to the {@link DeadLetterHandler}: it failed permanently,
 * or its retries ran out.
 *
 * <p>Immutable itself, and so safe to hand to another thread, but it holds the item as it is: a
 * mutable item stays mutable. No component is null but {@code id} (the others are checked).
 *
 * @param item the item, as the sink last saw it (merged, under coalescing)
 * @param id the item's id from the batcher's {@link BatcherBuilder#idFunction idFunction}, or null
 *     without one
 * @param cause the failure of its last attempt: its own, when bisection isolated it
 * @param attempts how many sink calls it was part of
 * @param firstAttempt when the first of them started
 * @param lastAttempt when the last of them started
 * @param <T> the item type
 */
public record DeadLetter<T>(
    T item,
    @Nullable Object id,
    Throwable cause,
    int attempts,
    Instant firstAttempt,
    Instant lastAttempt) {

  /**
   * Checks the components.
   *
   * @param item the item, as the sink last saw it (merged, under coalescing)
   * @param id the item's id from the batcher's {@link BatcherBuilder#idFunction idFunction}, or
   *     null without one
   * @param cause the failure of its last attempt: its own, when bisection isolated it
   * @param attempts how many sink calls it was part of
   * @param firstAttempt when the first of them started
   * @param lastAttempt when the last of them started
   */
  public DeadLetter {
    requireNonNull(item, "item");
    requireNonNull(cause, "cause");
    requireNonNull(firstAttempt, "firstAttempt");
    requireNonNull(lastAttempt, "lastAttempt");
  }
}
