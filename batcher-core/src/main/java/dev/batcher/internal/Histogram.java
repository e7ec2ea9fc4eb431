package dev.batcher.internal;

import dev.batcher.Distribution;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/**
 * A lock-free log-linear histogram of non-negative longs: 16 sub-buckets per power of two, so a
 * percentile read from it is within about 6% of the true value. Recording is one atomic increment
 * plus two striped counters; any number of threads may record and read at once.
 *
 * <p>Internal: not API, may change in any release.
 */
final class Histogram {
  private static final int SUB_BITS = 4;
  private static final int SUB = 1 << SUB_BITS;
  private static final int BUCKETS = (64 - SUB_BITS + 1) * SUB;

  /*
   * Ordering: none between these four. Each is updated atomically on its own (the buckets by an
   * atomic increment, the others striped), and summary() reads them one after another, so a
   * summary taken while values are recorded is not one snapshot: its count, mean, maximum and
   * percentiles may each include or miss the values being recorded at that moment. They are
   * metrics; every recording that finished (for a Batch: that was closed) before the summary
   * started is in all of them.
   */
  /** Values recorded per bucket; the percentiles are read from these. */
  private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);
  /** Values recorded (striped). */
  private final LongAdder count = new LongAdder();
  /** Their sum, for the mean (striped). */
  private final LongAdder sum = new LongAdder();
  /** Their maximum (striped). */
  private final LongAccumulator max = new LongAccumulator(Math::max, 0);

  void record(long value) {
    long v = Math.max(0, value);
    counts.incrementAndGet(index(v));
    count.increment();
    sum.add(v);
    max.accumulate(v);
  }

  /**
   * Records many values with one atomic increment each: the count, sum and max are gathered by
   * the caller's {@link Batch} and published once. For the worker, which records every item.
   */
  Batch batch() {
    return new Batch();
  }

  /** Values recorded together; not thread-safe, publish with {@link #close()}. */
  final class Batch implements AutoCloseable {
    private long n;
    private long total;
    private long largest;

    private int runIndex = -1;
    private long runLength;

    void record(long value) {
      long v = Math.max(0, value);
      int i = index(v);
      if (i != runIndex) { // values of one batch mostly share a bucket: one atomic add per run
        flushRun();
        runIndex = i;
      }
      runLength++;
      n++;
      total += v;
      largest = Math.max(largest, v);
    }

    private void flushRun() {
      if (runLength > 0) {
        counts.addAndGet(runIndex, runLength);
        runLength = 0;
      }
    }

    @Override
    public void close() {
      flushRun();
      if (n > 0) {
        count.add(n);
        sum.add(total);
        max.accumulate(largest);
      }
    }
  }

  /** Values below 16 get a bucket each; above, the top 5 significant bits pick the bucket. */
  static int index(long v) {
    if (v < SUB) {
      return (int) v;
    }
    int exponent = 63 - Long.numberOfLeadingZeros(v) - SUB_BITS; // >= 0
    int mantissa = (int) (v >>> exponent) & (SUB - 1);
    return (exponent + 1) * SUB + mantissa;
  }

  /** The largest value that falls in bucket {@code index}. */
  static long upperBound(int index) {
    if (index < SUB) {
      return index;
    }
    int exponent = index / SUB - 1;
    long mantissa = (index % SUB) | SUB;
    return ((mantissa + 1) << exponent) - 1;
  }

  Distribution summary() {
    long[] snapshot = new long[BUCKETS];
    long total = 0;
    for (int i = 0; i < BUCKETS; i++) {
      snapshot[i] = counts.get(i);
      total += snapshot[i];
    }
    long n = count.sum();
    long maximum = max.get();
    double mean = n == 0 ? 0 : (double) sum.sum() / n;
    return new Distribution(
        n,
        mean,
        maximum,
        percentile(snapshot, total, 0.50, maximum),
        percentile(snapshot, total, 0.90, maximum),
        percentile(snapshot, total, 0.99, maximum),
        percentile(snapshot, total, 0.999, maximum));
  }

  private static long percentile(long[] buckets, long total, double q, long maximum) {
    if (total == 0) {
      return 0;
    }
    long rank = (long) Math.ceil(q * total);
    long seen = 0;
    for (int i = 0; i < buckets.length; i++) {
      seen += buckets[i];
      if (seen >= rank) {
        return Math.min(upperBound(i), maximum);
      }
    }
    return maximum;
  }
}
