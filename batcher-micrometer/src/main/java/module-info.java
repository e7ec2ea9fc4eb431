/**
 * Micrometer meters for a batcher: {@link dev.batcher.micrometer.BatcherMetricsBinder} reads a
 * batcher's metrics snapshot through function counters and gauges, and {@link
 * dev.batcher.micrometer.BatcherMetricsListener} records its events (item latencies, batch sizes,
 * sink call times) into timers and a distribution summary; the core itself never depends on
 * Micrometer.
 *
 * <p>Only {@code dev.batcher.micrometer} is API.
 */
// micrometer-core has an Automatic-Module-Name (micrometer.core), no module-info; the API's
// MeterBinder and MeterRegistry come from it, so readers of the API must read it too.
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module dev.batcher.micrometer {
  requires transitive dev.batcher.core;
  requires transitive micrometer.core;
  // The API's nullness annotations: readers of the API see them, nobody needs them at run time.
  requires static transitive org.jspecify;

  exports dev.batcher.micrometer;
}
