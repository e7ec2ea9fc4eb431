package dev.batcher.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.batcher.Batcher;
import dev.batcher.testing.ManualTimeSource;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The exposition names of a Prometheus scrape, as docs/metrics.md lists them: Micrometer's
 * Prometheus naming adds {@code _total} to counters and {@code _seconds} to times.
 */
class PrometheusNamesTest {

  @Test
  void scrape_showsTheDocumentedNames() {
    ManualTimeSource clock = new ManualTimeSource();
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    BatcherMetricsListener events = new BatcherMetricsListener();
    try (Batcher<Integer> likes = Batcher.builder(Scenarios.twoMillisecondSink(clock))
        .name("likes").maxBatchSize(4).queueCapacity(16).maxDelay(Duration.ofSeconds(60))
        .maxDelayJitter(0).timeSource(clock).listener(events).build()) {
      BatcherMetricsBinder.builder(likes).listener(events).percentiles().build().bindTo(registry);
      Scenarios.tenItems(likes, clock);
      await().until(() -> registry.get("batcher.batch.size").summary().count() == 3);
    }

    String scrape = registry.scrape();
    List<String> families = Arrays.stream(scrape.split("\n"))
        .filter(line -> line.startsWith("# TYPE "))
        .map(line -> line.substring("# TYPE ".length()))
        .toList();
    assertThat(families).containsExactlyInAnyOrder(
        "batcher_items_submitted_total counter",
        "batcher_items_total counter",
        "batcher_items_refused_total counter",
        "batcher_items_dropped_total counter",
        "batcher_flushes_total counter",
        "batcher_retries_total counter",
        "batcher_bisections_total counter",
        "batcher_items_pending gauge",
        "batcher_queue_depth gauge",
        "batcher_batches_in_flight gauge",
        "batcher_sink_calls_abandoned gauge",
        "batcher_latency_seconds summary",
        "batcher_latency_max_seconds gauge",
        "batcher_latency_percentile_seconds gauge",
        "batcher_batch_size summary",
        "batcher_batch_size_max gauge",
        "batcher_sink_duration_seconds summary",
        "batcher_sink_duration_seconds_max gauge");
    assertThat(scrape.split("\n")).contains(
        "batcher_items_submitted_total{name=\"likes\"} 10.0",
        "batcher_items_total{name=\"likes\",outcome=\"succeeded\"} 10.0",
        "batcher_items_refused_total{name=\"likes\",reason=\"queue_full\"} 0.0",
        "batcher_items_dropped_total{name=\"likes\",reason=\"evicted\"} 0.0",
        "batcher_flushes_total{cause=\"size\",name=\"likes\"} 2.0",
        "batcher_flushes_total{cause=\"flush\",name=\"likes\"} 1.0",
        "batcher_queue_depth{name=\"likes\"} 0.0",
        "batcher_latency_seconds_count{name=\"likes\"} 10",
        "batcher_latency_seconds_sum{name=\"likes\"} 0.03",
        "batcher_latency_max_seconds{name=\"likes\"} 0.007",
        "batcher_latency_percentile_seconds{name=\"likes\",phi=\"0.99\"} 0.007",
        "batcher_batch_size_count{name=\"likes\"} 3",
        "batcher_batch_size_sum{name=\"likes\"} 10.0",
        "batcher_batch_size_max{name=\"likes\"} 4.0",
        "batcher_sink_duration_seconds_count{name=\"likes\"} 3",
        "batcher_sink_duration_seconds_sum{name=\"likes\"} 0.006",
        "batcher_sink_duration_seconds_max{name=\"likes\"} 0.002",
        "# HELP batcher_items_total Items that ended, by outcome: succeeded, dead_lettered, "
            + "failed, refused, dropped");
  }
}
