package dev.batcher;

import org.jspecify.annotations.Nullable;

/** The argument and state checks of the builders: messages name the option and the value. */
final class Checks {
  private Checks() {}

  /** Throws an {@link IllegalArgumentException} with the formatted message unless {@code ok}. */
  static void requireArgument(boolean ok, String template, @Nullable Object... args) {
    if (!ok) {
      throw new IllegalArgumentException(String.format(template, args));
    }
  }

  /** Throws an {@link IllegalStateException} with the formatted message unless {@code ok}. */
  static void requireState(boolean ok, String template, @Nullable Object... args) {
    if (!ok) {
      throw new IllegalStateException(String.format(template, args));
    }
  }
}
