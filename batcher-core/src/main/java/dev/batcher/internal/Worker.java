package dev.batcher.internal;

/**
 * One worker thread of a batcher ({@code batcher-<name>-flush-<n>}): it forms a batch, calls the
 * sink and completes the batch, over and over. Replaced when the monitor abandons a sink call
 * that hangs in it.
 *
 * <p>Internal: not API, may change in any release.
 */
final class Worker {
  final Thread thread;
  /** Where this worker's batches look for a free in-flight slot first. */
  final int index;
  /**
   * Set once, by whoever abandons this worker's call, before interrupting it; the worker reads it
   * before taking its next batch and leaves.
   */
  volatile boolean abandoned;

  Worker(Thread thread, int index) {
    this.thread = thread;
    this.index = index;
  }
}
