/**
 * Micrometer meters for a {@link dev.batcher.Batcher}: register a {@link
 * dev.batcher.micrometer.BatcherMetricsListener} on the batcher's builder, then bind a {@link
 * dev.batcher.micrometer.BatcherMetricsBinder} for the built batcher to a {@code MeterRegistry}.
 * Every meter is named {@code batcher.*} and tagged {@code name=<the batcher's name>}; the
 * binder's Javadoc lists them, {@code docs/metrics.md} gives their Prometheus names.
 *
 * <p>Every type here is null-marked: parameters and return values are non-null unless annotated
 * {@code @Nullable}. Bad arguments fail at once with a message naming the argument.
 */
@NullMarked
package dev.batcher.micrometer;

import org.jspecify.annotations.NullMarked;
