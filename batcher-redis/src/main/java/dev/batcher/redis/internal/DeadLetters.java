package dev.batcher.redis.internal;

import dev.batcher.redis.StreamDeadLetter;
import dev.batcher.redis.StreamDeadLetterHandler;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.StreamEntryID;

/**
 * Hands the entries a worker gives up on to its {@link StreamDeadLetterHandler}, and counts them.
 * A handler that throws (anything but a {@link VirtualMachineError}, which is rethrown) leaves a
 * held entry pending, to be offered again after {@code minIdle}.
 *
 * <p>Called on the worker's thread only. Internal: not API, may change in any release.
 */
final class DeadLetters {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerLoop.class);

  private final String stream;
  private final StreamDeadLetterHandler handler;
  private final UnackedEntries unacked;
  private final LongAdder count = new LongAdder();

  DeadLetters(String stream, StreamDeadLetterHandler handler, UnackedEntries unacked) {
    this.stream = stream;
    this.handler = handler;
    this.unacked = unacked;
  }

  /** {@return the entries handed to the handler so far} */
  long count() {
    return count.sum();
  }

  /** The held entry {@code id} is poison: acknowledged once the handler took it. */
  void entry(StreamEntryID id, Map<String, String> fields, long delivered, Throwable cause) {
    if (handled(new StreamDeadLetter(stream, id.toString(), fields, delivered, cause),
        "it stays pending")) {
      unacked.finish(id);
    } else {
      unacked.release(id);
    }
  }

  /** An entry deleted while pending: Redis dropped it from the pending list, no XACK needed. */
  void deleted(StreamEntryID id) {
    handled(new StreamDeadLetter(stream, id.toString(), Map.of(), 0, new IllegalStateException(
        "the entry was deleted or trimmed from the stream while pending")),
        "Redis already dropped it from the pending list: it is lost");
  }

  private boolean handled(StreamDeadLetter letter, String otherwise) {
    try {
      handler.handle(letter);
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable e) {
      LOG.warn("the dead-letter handler failed for entry {}; {}", letter.id(), otherwise, e);
      return false;
    }
    count.increment();
    return true;
  }
}
