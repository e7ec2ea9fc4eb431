package dev.batcher.testing;

/**
 * How long the looped and stress tests run. The default keeps {@code mvn verify} short; {@code
 * -Dbatcher.stress.scale=N} multiplies their rounds and durations by N ({@code 10} is the full
 * length; see the README, "Commands").
 */
public final class Stress {
  private Stress() {}

  /**
   * Returns the multiplier from the system property {@code batcher.stress.scale}: 1 when unset.
   *
   * @throws IllegalArgumentException if the property is below 1
   */
  public static int scale() {
    int s = Integer.getInteger("batcher.stress.scale", 1);
    if (s < 1) {
      throw new IllegalArgumentException("batcher.stress.scale must be at least 1: " + s);
    }
    return s;
  }
}
