package dev.batcher.redis;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;

/**
 * Receives the stream entries a {@link StreamWorker} gave up on (see {@link StreamDeadLetter}),
 * to park them where a person or a repair job finds them. The entry is acknowledged once the
 * handler returns; if it throws, the entry stays pending and is claimed and offered again later
 * (after the worker's {@code minIdle}). The exception: an entry deleted from the stream while
 * pending, which Redis has already dropped from the pending list; a handler that throws on it
 * loses it (with a WARN).
 *
 * <p>Items that the downstream batcher gives up on (a row the database rejects for good) do not
 * come here: they go to that batcher's own {@code DeadLetterHandler}, and their entries are then
 * acknowledged too.
 *
 * <p>Called on the worker's thread, one entry at a time; never with null.
 */
@FunctionalInterface
public interface StreamDeadLetterHandler {

  /**
   * Takes a dead letter.
   *
   * @param letter the entry, its delivery count and the cause
   * @throws Exception if it could not be stored: the entry stays pending
   */
  void handle(StreamDeadLetter letter) throws Exception;

  /**
   * {@return a handler that logs each dead letter at ERROR (logger {@code
   * dev.batcher.redis.StreamDeadLetter}): the stream, the entry's id, its delivery count and the
   * cause, not the fields}
   */
  static StreamDeadLetterHandler logging() {
    Logger log = LoggerFactory.getLogger(StreamDeadLetter.class);
    return letter -> log.error("dead letter: entry {} of stream {} after {} delivery(ies): {}",
        letter.id(), letter.stream(), letter.deliveries(), letter.cause().toString());
  }

  /**
   * {@return a handler that appends each dead letter to the stream {@code deadLetterStream}: its
   * fields, plus {@code dead-letter.stream}, {@code dead-letter.id}, {@code
   * dead-letter.deliveries} and {@code dead-letter.cause} (the cause's class and message)}
   *
   * @param jedis the client; the caller owns it
   * @param deadLetterStream the key of the stream that collects the dead letters
   * @throws NullPointerException if an argument is null
   */
  static StreamDeadLetterHandler toStream(UnifiedJedis jedis, String deadLetterStream) {
    requireNonNull(jedis, "jedis");
    requireNonNull(deadLetterStream, "deadLetterStream");
    return letter -> {
      Map<String, String> fields = new LinkedHashMap<>(letter.fields());
      fields.put("dead-letter.stream", letter.stream());
      fields.put("dead-letter.id", letter.id());
      fields.put("dead-letter.deliveries", Long.toString(letter.deliveries()));
      fields.put("dead-letter.cause", String.valueOf(letter.cause()));
      jedis.xadd(deadLetterStream, StreamEntryID.NEW_ENTRY, fields);
    };
  }
}
