package dev.batcher;

/**
 * A summary of the values of one kind recorded since the batcher started: batch sizes in items
 * ({@link BatcherMetrics#batchSize()}) or latencies in nanoseconds ({@link
 * BatcherMetrics#latency()}). Percentiles come from log-linear buckets and are accurate to within
 * about 6%; count, mean and max are exact.
 *
 * <p>Immutable, and so thread-safe; its components are primitives, never null. A snapshot taken
 * while values are being recorded may include some of them in one component and not in another.
 *
 * @param count how many values were recorded
 * @param mean their mean, 0 when none
 * @param max the largest, 0 when none
 * @param p50 the median
 * @param p90 the 90th percentile
 * @param p99 the 99th percentile
 * @param p999 the 99.9th percentile
 */
public record Distribution(
    long count, double mean, long max, long p50, long p90, long p99, long p999) {}
