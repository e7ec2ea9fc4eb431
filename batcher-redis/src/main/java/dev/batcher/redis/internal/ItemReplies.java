package dev.batcher.redis.internal;

import dev.batcher.BatchResult;
import dev.batcher.redis.RedisCommand;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.PipeliningBase;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * One batch's items as queued on a pipeline or transaction: for each item, the {@link Response}
 * its command function returned, or what the function threw instead. After the batch has gone
 * (sync or EXEC), {@link #outcomes()} reads each item's reply into its outcome.
 *
 * <p>Invariant: exactly one of {@code responses[i]} and {@code refused[i]} is set for each item
 * once {@link #queue} has returned, because the function is called once per item and either
 * returns a non-null response or is recorded as refused.
 *
 * <p>Not thread-safe: one instance per sink call, on the calling thread. Internal: not API, may
 * change in any release.
 */
public final class ItemReplies {
  private static final Logger LOG = LoggerFactory.getLogger(ItemReplies.class);

  private final @Nullable Response<?>[] responses;
  private final @Nullable Throwable[] refused;

  private ItemReplies(int size) {
    this.responses = new Response<?>[size];
    this.refused = new Throwable[size];
  }

  /**
   * Queues every item of {@code batch} on {@code commands} through {@code command}, in batch order.
   * A function that throws (any {@link Throwable} but a {@link VirtualMachineError}) or returns
   * null fails that item only, for good; so does one that returns a {@link Response} this batch
   * did not queue (one already filled, say of an earlier pipeline, whose reply says nothing of
   * this item). A {@link JedisConnectionException} (queuing writes to the socket once Jedis's
   * buffer is full) and a {@link VirtualMachineError} propagate.
   */
  public static <T> ItemReplies queue(PipeliningBase commands, List<T> batch,
      RedisCommand<? super T> command) {
    ItemReplies replies = new ItemReplies(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      try {
        Response<?> r = command.queue(commands, batch.get(i));
        if (r == null) {
          replies.refused[i] = new NullPointerException(
              "the command function returned null for the item at index " + i);
        } else if (isFilled(r)) {
          replies.refused[i] = new IllegalStateException("the command function returned, for the"
              + " item at index " + i + ", a Response that was already filled, not one of a"
              + " command it queued on this batch: the sink does not know whether it wrote the"
              + " item; return the Response of a command queued on the commands passed to it");
        } else {
          replies.responses[i] = r;
        }
      } catch (JedisConnectionException | VirtualMachineError e) {
        throw e; // the connection, or the JVM, not the item: the batch fails as a whole
      } catch (Throwable e) {
        // The item's own exception (an AssertionError, a StackOverflowError... as well) is its
        // cause; only its class is logged (an item's or an exception's toString may be large,
        // or throw).
        LOG.debug("command function threw {} for the item at index {}", e.getClass().getName(), i);
        replies.refused[i] = e;
      }
    }
    return replies;
  }

  /**
   * Whether {@code r} already has its reply. A command queued on this batch's pipeline or
   * transaction has none until the batch is sent, and Jedis's {@code get()} then throws {@link
   * IllegalStateException}; a response already filled answers (or throws its error reply).
   */
  private static boolean isFilled(Response<?> r) {
    try {
      r.get();
      return true;
    } catch (IllegalStateException e) {
      return false;
    } catch (RuntimeException e) {
      return true; // an error reply, or a reply that does not decode: filled either way
    }
  }

  /** {@return how many items the command function refused (threw or returned null for)} */
  public int refusedCount() {
    int n = 0;
    for (Throwable t : refused) {
      if (t != null) {
        n++;
      }
    }
    return n;
  }

  /**
   * {@return each item's outcome from its reply} An error reply fails its item: for good when it
   * is about the item or about access, retryably when it is about the server's state (see {@link
   * RedisErrors}); an item the function refused fails for good with what it threw; a reply that
   * cannot be read fails its item for good (its command may have run); any other reply succeeds.
   * Call only after the batch's replies have arrived.
   */
  public BatchResult outcomes() {
    BatchResult.Builder result = BatchResult.builder(responses.length);
    for (int i = 0; i < responses.length; i++) {
      Throwable r = refused[i];
      if (r != null) {
        result.failedPermanently(i, r);
        continue;
      }
      try {
        Objects.requireNonNull(responses[i]).get();
      } catch (JedisDataException e) {
        if (RedisErrors.classify(e.getMessage()) == RedisErrors.Kind.RETRYABLE) {
          result.failedRetryably(i, e);
        } else {
          result.failedPermanently(i, RedisErrors.withHint(e));
        }
      } catch (IllegalStateException e) {
        // Jedis's "please close pipeline or multi block": a response of some other pipeline
        result.failedPermanently(i, new IllegalStateException("the response returned for the"
            + " item at index " + i + " was not filled by the batch: return the Response of a"
            + " command queued on the commands passed to the function", e));
      } catch (RuntimeException e) {
        // Not an error reply, most likely a reply that did not decode into the type the
        // response's builder expects: the command probably ran, but the sink cannot tell, and
        // an item is never reported written on a guess.
        result.failedPermanently(i, new IllegalStateException("the reply for the item at index "
            + i + " could not be read (" + e.getClass().getName() + "); its command may have"
            + " been applied", e));
      }
    }
    return result.build();
  }

  /** {@return every item failed for good with {@code cause}} */
  public static BatchResult allFailed(int size, Throwable cause) {
    BatchResult.Builder result = BatchResult.builder(size);
    for (int i = 0; i < size; i++) {
      result.failedPermanently(i, cause);
    }
    return result.build();
  }
}
