package dev.batcher;

import dev.batcher.internal.Describe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives the items the batcher gave up on (see {@link DeadLetter}), to park them somewhere a
 * person or a repair job can find them: a table, a topic, a file.
 *
 * <p>Called once per item, before the item's future fails, on the thread that settles the item's
 * batch: a batcher worker thread for a {@link BatchSink}, the thread that completes the stage for
 * an {@link AsyncBatchSink}. A slow handler slows the batcher. With {@link
 * BatcherBuilder#maxInFlightBatches(int) maxInFlightBatches} 1 (the default) calls never overlap;
 * with more, batches settle on several threads at once and the handler may be called concurrently,
 * so it must be thread-safe. It never receives null. Once the handler returns, the item counts as
 * dead-lettered and its future fails with an {@link ItemWriteException} whose {@link
 * ItemWriteException#deadLettered()} is true. If the handler throws, the item counts as failed and
 * its future fails with the item's cause, the handler's exception attached as suppressed: the item
 * is never silently lost.
 *
 * @param <T> the item type
 */
@FunctionalInterface
public interface DeadLetterHandler<T> {

  /**
   * Takes a dead letter.
   *
   * @param letter the item, its cause and its attempts
   * @throws Exception if it could not be stored
   */
  void handle(DeadLetter<T> letter) throws Exception;

  /**
   * {@return a handler that logs each dead letter at ERROR through SLF4J (logger {@code
   * dev.batcher.DeadLetter}), with the item's id when there is one, else the item itself}
   *
   * @param <T> the item type
   */
  static <T> DeadLetterHandler<T> logging() {
    Logger log = LoggerFactory.getLogger(DeadLetter.class);
    // Described here, not by the logger: an item, id or cause whose toString() throws must not
    // make this handler fail.
    return letter -> log.error("dead letter {} after {} attempt(s) ({} .. {}): {}",
        letter.id() != null ? "id=" + Describe.of(letter.id())
            : "item=" + Describe.of(letter.item()),
        letter.attempts(), letter.firstAttempt(), letter.lastAttempt(),
        Describe.of(letter.cause()));
  }
}
