package dev.batcher.redis.internal;

import org.jspecify.annotations.Nullable;

/**
 * The builders' checks: an exception whose message is the template filled with the values, so
 * that every message names the option and the value it refuses.
 *
 * <p>Internal: not API, may change in any release.
 */
public final class Checks {
  private Checks() {}

  /** @throws IllegalArgumentException with the formatted message unless {@code ok} */
  public static void requireArgument(boolean ok, String template, @Nullable Object... args) {
    if (!ok) {
      throw new IllegalArgumentException(String.format(template, args));
    }
  }

  /** @throws IllegalStateException with the formatted message unless {@code ok} */
  public static void requireState(boolean ok, String template, @Nullable Object... args) {
    if (!ok) {
      throw new IllegalStateException(String.format(template, args));
    }
  }
}
