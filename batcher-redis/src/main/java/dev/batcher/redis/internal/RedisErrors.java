package dev.batcher.redis.internal;

import java.io.IOException;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Classifies a Redis error reply by its first word, the error code Redis puts there ({@code
 * WRONGTYPE}, {@code LOADING}, {@code NOAUTH}, or {@code ERR} for generic errors).
 *
 * <ul>
 *   <li>{@link Kind#RETRYABLE}: the server cannot take commands for a while, whatever they are
 *       (loading its data set, a busy script, out of memory, a replica or a failing-over cluster,
 *       a write error on disk): the item is tried again after a backoff;
 *   <li>{@link Kind#ACCESS}: the connection's user may not run the command (authentication and
 *       ACL errors): about the configuration, not the item;
 *   <li>{@link Kind#ITEM}: anything else, including every {@code ERR}: the command of that item
 *       is wrong for the data it meets (a key of another type, a value that is not a number, a
 *       bad argument), and trying again cannot help. {@code MOVED} and {@code ASK} are item
 *       errors too: the sink sends to one server and follows no redirection, so the same key
 *       would be redirected again; {@code NOSCRIPT} as well: an {@code EVALSHA} sent again finds
 *       the script cache just as empty. {@link #withHint} says so in the error.
 * </ul>
 *
 * <p>Stateless and thread-safe. Internal: not API, may change in any release.
 */
public final class RedisErrors {

  /** What an error reply is about. */
  public enum Kind {
    /** The item's command was refused for now by the server's state: try it again later. */
    RETRYABLE,
    /** The item's command is wrong for its data: it fails for good. */
    ITEM,
    /** The connection's user may not run it: about no item, and retrying cannot help. */
    ACCESS
  }

  /** Error codes of a server that cannot take commands for a while. */
  public static final Set<String> RETRYABLE_CODES = Set.of("LOADING", "BUSY", "OOM", "READONLY",
      "TRYAGAIN", "MASTERDOWN", "CLUSTERDOWN", "NOREPLICAS", "MISCONF", "UNBLOCKED",
      "NOTREADY");

  /** Error codes of a user that may not run the command. */
  public static final Set<String> ACCESS_CODES = Set.of("NOAUTH", "WRONGPASS", "NOPERM");

  private RedisErrors() {}

  /** {@return the kind of the error reply {@code message} (null or empty is an item's error)} */
  public static Kind classify(@Nullable String message) {
    String code = code(message);
    if (RETRYABLE_CODES.contains(code)) {
      return Kind.RETRYABLE;
    }
    if (ACCESS_CODES.contains(code)) {
      return Kind.ACCESS;
    }
    return Kind.ITEM;
  }

  /** {@return the error code: the first word of {@code message}, upper case, or ""} */
  public static String code(@Nullable String message) {
    if (message == null) {
      return "";
    }
    String m = message.strip();
    int end = 0;
    while (end < m.length() && !Character.isWhitespace(m.charAt(end))) {
      end++;
    }
    return m.substring(0, end).toUpperCase(Locale.ROOT);
  }

  /**
   * {@return {@code e}, or for a {@code MOVED}/{@code ASK} or {@code NOSCRIPT} reply a {@link
   * JedisDataException} with Redis's message, what to do about it, and {@code e} as cause} The
   * first word stays Redis's code, so {@link #classify} reads it the same.
   */
  public static JedisDataException withHint(JedisDataException e) {
    String code = code(e.getMessage());
    String hint;
    switch (code) {
      case "MOVED":
      case "ASK":
        hint = "the key is served by another node of a Redis Cluster; RedisSink pipelines to one"
            + " server and follows no redirection, so sending it again cannot succeed: write to a"
            + " standalone Redis, or to each node through its own client";
        break;
      case "NOSCRIPT":
        hint = "the script is not in the server's script cache (flushed, restarted or failed"
            + " over); EVALSHA sent again finds it just as missing: use EVAL, or load the script"
            + " (SCRIPT LOAD) before the batches and load it again when this error comes";
        break;
      default:
        return e;
    }
    return new JedisDataException(e.getMessage() + " (" + hint + ")", e);
  }

  /**
   * {@return {@code failure}, thrown by Jedis around a batch (borrowing a connection, sending,
   * reading, closing), as the batcher's default {@code RetryPolicy} classifier should see it}
   * A connection problem (a {@link JedisConnectionException}, an {@link IOException} or an
   * exhausted pool in its cause chain) is returned as it is, and the default classifier retries
   * it. Access refused ({@link JedisAccessControlException}, {@code NOAUTH}, {@code WRONGPASS},
   * {@code NOPERM}) becomes an {@link IllegalArgumentException} about the client's credentials,
   * anything else an {@link UnsupportedOperationException} about the client: the default
   * classifier retries neither. The original is the cause either way.
   *
   * @param failure what Jedis threw
   * @param during what the sink was doing, for the message: {@code "borrowing a connection"}
   */
  public static RuntimeException forRetryPolicy(RuntimeException failure, String during) {
    int depth = 0;
    for (Throwable t = failure; t != null && depth < 16; t = t.getCause(), depth++) {
      if (t instanceof JedisAccessControlException
          || t instanceof JedisDataException && classify(t.getMessage()) == Kind.ACCESS) {
        return new IllegalArgumentException("Redis refused access while " + during + " ("
            + t.getMessage() + "): not retried, credentials do not mend between attempts; check"
            + " the client's user, password and ACL", failure);
      }
    }
    depth = 0;
    for (Throwable t = failure; t != null && depth < 16; t = t.getCause(), depth++) {
      if (t instanceof JedisConnectionException || t instanceof IOException
          || t instanceof NoSuchElementException) {
        return failure;
      }
    }
    return new UnsupportedOperationException("the Redis client failed while " + during + " with "
        + failure.getClass().getName() + " (" + failure.getMessage() + "): not a connection"
        + " problem, not retried; see docs/redis.md for the clients RedisSink supports", failure);
  }
}
