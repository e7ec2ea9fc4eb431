package dev.batcher.testing;

import org.jspecify.annotations.Nullable;

/**
 * How long the looped and stress tests run. The default keeps {@code mvn verify} short; {@code
 * -Dbatcher.stress.scale=N} multiplies their rounds and durations by N ({@code 10} is the full
 * length; see the README, "Commands").
 */
public final class Stress {
  /** The system property that holds the multiplier. */
  public static final String PROPERTY = "batcher.stress.scale";

  private Stress() {}

  /**
   * Returns the multiplier from the system property {@value #PROPERTY}: 1 when unset.
   *
   * @throws IllegalArgumentException if the property is not a whole number, or is below 1
   * @return the multiplier, at least 1
   */
  public static int scale() {
    return parse(System.getProperty(PROPERTY));
  }

  /**
   * Reads a value of {@value #PROPERTY}: 1 when null.
   *
   * @throws IllegalArgumentException if {@code value} is not a whole number, or is below 1
   */
  static int parse(@Nullable String value) {
    if (value == null) {
      return 1;
    }
    int s;
    try {
      s = Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          PROPERTY + " must be a whole number: '" + value + "'", e);
    }
    if (s < 1) {
      throw new IllegalArgumentException(PROPERTY + " must be at least 1: " + s);
    }
    return s;
  }
}
