package dev.batcher.benchmarks.contenders;

import java.time.Duration;
import java.util.Locale;

/** The libraries the suites compare, by the names used in the {@code library} parameter. */
public enum Library {
  /** Ours: {@link dev.batcher.Batcher}. */
  BATCHER,
  /** A hand-written {@code ArrayBlockingQueue} + {@code drainTo} worker. */
  ABQ,
  /** gax-java's {@code BatcherImpl}. */
  GAX,
  /** Reactor's {@code Flux.bufferTimeout} fed by {@code Sinks.many()}. */
  REACTOR,
  /** OpenTelemetry's {@code BatchSpanProcessor}. */
  OTEL;

  /** Parses a {@code library} parameter value, case-insensitively. */
  public static Library of(String name) {
    return valueOf(name.toUpperCase(Locale.ROOT));
  }

  /** Builds this library with the same batch size, delay and bound as every other one. */
  public Contender create(int batchSize, Duration delay, int capacity) {
    switch (this) {
      case BATCHER:
        return new BatcherContender(batchSize, delay, capacity);
      case ABQ:
        return new HandRolledContender(batchSize, delay, capacity);
      case GAX:
        return new GaxContender(batchSize, delay, capacity);
      case REACTOR:
        return new ReactorContender(batchSize, delay, capacity);
      case OTEL:
        return new OtelContender(batchSize, delay, capacity);
      default:
        throw new AssertionError(this);
    }
  }
}
