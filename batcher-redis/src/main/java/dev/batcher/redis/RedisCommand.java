package dev.batcher.redis;

import redis.clients.jedis.PipeliningBase;
import redis.clients.jedis.Response;

/**
 * Queues one item's command on a batch's pipeline (or transaction) and returns its {@link
 * Response}, whose reply decides the item's outcome:
 *
 * <pre>{@code
 * RedisCommand<Like> incrementLikes = (p, like) -> p.hincrBy("post:" + like.postId(), "likes", 1);
 * }</pre>
 *
 * <p>{@code commands} is a Jedis {@code Pipeline} for a plain sink and a {@code Transaction} (in
 * MULTI) for a {@linkplain RedisSink.Builder#transactional() transactional} one: both queue
 * commands and answer with a {@code Response} that is filled when the batch has gone. Do not call
 * {@code get()} on it, {@code sync()}, {@code exec()} or {@code close()}: the sink does. An item
 * may queue several commands; the reply of the one returned decides its outcome (return the one
 * that can fail: an error reply to another command of the item is not seen).
 *
 * <p>Called on the batcher's worker thread, once per item per attempt, in batch order; must be
 * thread-safe when the batcher has several batches in flight. A call that throws (an {@link
 * Exception} or an {@link Error}) fails that item alone, for good (what it threw is the item's
 * cause); whatever it had queued before it threw is still sent. A {@link VirtualMachineError}
 * propagates instead, and the batch's connection is closed without sending what is still in
 * Jedis's buffer. Returning null, or a {@code Response} that is not of a command queued on {@code
 * commands} (one already filled), fails the item in the same way. Do not call the client itself
 * from here: the batch holds one of its pool's connections, and the call may wait for it.
 *
 * @param <T> the item type
 */
@FunctionalInterface
public interface RedisCommand<T> {

  /**
   * Queues {@code item}'s command on {@code commands}.
   *
   * @param commands the batch's pipeline or transaction
   * @param item the item
   * @return the response of the command whose reply decides the item's outcome
   * @throws Exception if the item cannot be turned into a command: it fails alone, permanently
   */
  Response<?> queue(PipeliningBase commands, T item) throws Exception;
}
