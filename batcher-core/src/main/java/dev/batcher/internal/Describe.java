package dev.batcher.internal;

import org.jspecify.annotations.Nullable;

/**
 * Turns user objects (items, ids, the sink's exceptions) into text for our messages and logs
 * without trusting their {@code toString()}: one that throws must not cost an item its ending or
 * a worker its life. A {@link VirtualMachineError} is rethrown; anything else thrown yields the
 * class name and what {@code toString()} threw.
 *
 * <p>Public for the exceptions of {@code dev.batcher}; internal: not API, may change in any
 * release.
 */
public final class Describe {
  private Describe() {}

  /** {@return {@code String.valueOf(o)}, or the class name if its {@code toString()} throws} */
  public static String of(@Nullable Object o) {
    if (o == null) {
      return "null";
    }
    try {
      return String.valueOf(o.toString());
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable e) {
      return o.getClass().getName() + " (its toString() threw " + e.getClass().getName() + ")";
    }
  }
}
