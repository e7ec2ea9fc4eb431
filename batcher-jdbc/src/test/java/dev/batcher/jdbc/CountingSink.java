package dev.batcher.jdbc;

import dev.batcher.BatchResult;
import dev.batcher.BatchSink;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts the calls the batcher makes to a sink, each a send of a batch or of part of one (a half
 * after a split, the others after a pinpointed item): the unit in which the tests bound what a
 * poison or a missing table costs for every strategy, whether the strategy sends a batch as one
 * statement or as one per row. Keeps the sink's atomicity. Thread-safe.
 */
final class CountingSink<T> implements BatchSink<T> {
  private final BatchSink<T> sink;
  private final AtomicLong calls = new AtomicLong();

  CountingSink(BatchSink<T> sink) {
    this.sink = sink;
  }

  @Override
  public BatchResult write(List<T> batch) throws Exception {
    calls.incrementAndGet();
    return sink.write(batch);
  }

  @Override
  public boolean isAtomic() {
    return sink.isAtomic();
  }

  /** {@return the calls to {@link #write} so far} */
  long calls() {
    return calls.get();
  }
}
