package dev.batcher.redis.internal;

import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

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
 *       bad argument), and trying again cannot help.
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
      "TRYAGAIN", "MASTERDOWN", "CLUSTERDOWN", "NOREPLICAS", "MISCONF", "MOVED", "ASK",
      "UNBLOCKED", "NOTREADY");

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
}
