package dev.batcher;

/**
 * How long the looped and stress tests run. The default keeps {@code mvn verify} short; {@code
 * -Dbatcher.stress.scale=N} multiplies their rounds and durations by N (see README, "Commands").
 */
final class Stress {
  private Stress() {}

  /** The multiplier from {@code batcher.stress.scale}, at least 1. */
  static int scale() {
    int s = Integer.getInteger("batcher.stress.scale", 1);
    if (s < 1) {
      throw new IllegalArgumentException("batcher.stress.scale must be at least 1: " + s);
    }
    return s;
  }
}
