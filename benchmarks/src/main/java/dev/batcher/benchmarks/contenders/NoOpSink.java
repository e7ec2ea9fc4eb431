package dev.batcher.benchmarks.contenders;

import java.util.List;

/**
 * The destination every contender writes to: it touches the batch's size and nothing else, so the
 * suites measure the batching machinery, not a database.
 */
final class NoOpSink {
  private static volatile long sink;

  private NoOpSink() {}

  /** Consumes a batch; the volatile write keeps the JIT from removing the call. */
  static void write(List<?> batch) {
    sink = batch.size();
  }
}
