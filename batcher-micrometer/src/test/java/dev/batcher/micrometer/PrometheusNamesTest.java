package dev.batcher.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.Batcher;
import dev.batcher.testing.ManualTimeSource;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The exposition names of a Prometheus scrape, as docs/metrics.md lists them: Micrometer's
 * Prometheus naming adds {@code _total} to counters and {@code _seconds} to times. Each scrape
 * follows {@link Scenarios#tenItems} and its {@code flush().join()} at once: the listener's events
 * come before the futures, so nothing is awaited.
 */
class PrometheusNamesTest {

  /** The families every binding shows, with a listener or without. */
  private static final List<String> COMMON_FAMILIES = List.of(
      "batcher_items_submitted_total counter",
      "batcher_items_total counter",
      "batcher_items_dead_lettered_total counter",
      "batcher_items_refused_total counter",
      "batcher_items_dropped_total counter",
      "batcher_flushes_total counter",
      "batcher_retries_total counter",
      "batcher_bisections_total counter",
      "batcher_items_pending gauge",
      "batcher_queue_depth gauge",
      "batcher_batches_in_flight gauge",
      "batcher_sink_calls_abandoned gauge");

  /** The families every binding with a listener shows, whatever its options. */
  private static final List<String> SNAPSHOT_FAMILIES = with(COMMON_FAMILIES,
      "batcher_latency_seconds_max gauge",
      "batcher_batch_size_max gauge",
      "batcher_sink_duration_seconds_max gauge");

  @Test
  void scrape_showsTheDocumentedNames() {
    String scrape = scrape(b -> b);

    assertThat(families(scrape)).containsExactlyInAnyOrderElementsOf(with(SNAPSHOT_FAMILIES,
        "batcher_latency_seconds summary",
        "batcher_batch_size summary",
        "batcher_sink_duration_seconds summary"));
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
        "batcher_latency_seconds_max{name=\"likes\"} 0.007",
        "batcher_batch_size_count{name=\"likes\"} 3",
        "batcher_batch_size_sum{name=\"likes\"} 10.0",
        "batcher_batch_size_max{name=\"likes\"} 4.0",
        "batcher_sink_duration_seconds_count{name=\"likes\"} 3",
        "batcher_sink_duration_seconds_sum{name=\"likes\"} 0.006",
        "batcher_sink_duration_seconds_max{name=\"likes\"} 0.002",
        "# HELP batcher_items_total Items that ended, by outcome: succeeded, dead_lettered, "
            + "failed, refused, dropped");
    assertThat(scrape).doesNotContain("quantile=", "_bucket");
  }

  @Test
  void percentiles_addQuantileSeriesToTheSummaries() {
    String scrape = scrape(BatcherMetricsBinder.Builder::percentiles);

    assertThat(families(scrape)).containsExactlyInAnyOrderElementsOf(with(SNAPSHOT_FAMILIES,
        "batcher_latency_seconds summary",
        "batcher_batch_size summary",
        "batcher_sink_duration_seconds summary"));
    // Micrometer's percentiles, from its histogram: 8 items of 2 ms, 2 of 7 ms.
    assertThat(scrape.split("\n")).contains(
        "batcher_latency_seconds{name=\"likes\",quantile=\"0.5\"} 0.00196608",
        "batcher_latency_seconds{name=\"likes\",quantile=\"0.99\"} 0.007012352",
        "batcher_latency_seconds_count{name=\"likes\"} 10",
        "batcher_latency_seconds_max{name=\"likes\"} 0.007",
        "batcher_batch_size{name=\"likes\",quantile=\"0.999\"} 4.125",
        "batcher_sink_duration_seconds{name=\"likes\",quantile=\"0.9\"} 0.00196608");
    assertThat(scrape).doesNotContain("_bucket");
  }

  @Test
  void percentileHistogram_makesTheListenersMetersHistograms() {
    String scrape = scrape(BatcherMetricsBinder.Builder::percentileHistogram);

    assertThat(families(scrape)).containsExactlyInAnyOrderElementsOf(with(SNAPSHOT_FAMILIES,
        "batcher_latency_seconds histogram",
        "batcher_batch_size histogram",
        "batcher_sink_duration_seconds histogram"));
    assertThat(scrape.split("\n")).contains(
        "batcher_latency_seconds_bucket{name=\"likes\",le=\"0.002097151\"} 8",
        "batcher_latency_seconds_bucket{name=\"likes\",le=\"+Inf\"} 10",
        "batcher_latency_seconds_count{name=\"likes\"} 10",
        "batcher_latency_seconds_sum{name=\"likes\"} 0.03",
        "batcher_latency_seconds_max{name=\"likes\"} 0.007");
    assertThat(scrape)
        .contains("batcher_batch_size_bucket{", "batcher_sink_duration_seconds_bucket{")
        .doesNotContain("quantile=");
  }

  @Test
  void withoutListener_theSnapshotsBatchSizesAreGauges() {
    String scrape = scrapeWithoutListener();

    assertThat(families(scrape)).containsExactlyInAnyOrderElementsOf(with(COMMON_FAMILIES,
        "batcher_batch_size_mean gauge",
        "batcher_batch_size_max gauge",
        "batcher_batch_size_percentile gauge"));
    assertThat(scrape.split("\n")).contains(
        "batcher_items_dead_lettered_total{name=\"likes\"} 0.0",
        "batcher_batch_size_mean{name=\"likes\"} 3.3333333333333335",
        "batcher_batch_size_max{name=\"likes\"} 4.0");
    assertThat(scrape).contains("batcher_batch_size_percentile{name=\"likes\",phi=\"0.99\"} ")
        .doesNotContain("batcher_latency", "batcher_sink_duration", "batcher_batch_size_count");
  }

  /** Binds a batcher named likes without a listener, runs ten items, scrapes. */
  static String scrapeWithoutListener() {
    ManualTimeSource clock = new ManualTimeSource();
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (Batcher<Integer> likes = Batcher.builder(Scenarios.twoMillisecondSink(clock))
        .name("likes").maxBatchSize(4).queueCapacity(16).maxDelay(Duration.ofSeconds(60))
        .maxDelayJitter(0).timeSource(clock).build()) {
      BatcherMetricsBinder.of(likes).bindTo(registry);
      Scenarios.tenItems(likes, clock);
      return registry.scrape();
    }
  }

  /** Binds a batcher named likes with a listener and {@code options}, runs ten items, scrapes. */
  static String scrape(UnaryOperator<BatcherMetricsBinder.Builder> options) {
    ManualTimeSource clock = new ManualTimeSource();
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    BatcherMetricsListener events = new BatcherMetricsListener();
    try (Batcher<Integer> likes = Batcher.builder(Scenarios.twoMillisecondSink(clock))
        .name("likes").maxBatchSize(4).queueCapacity(16).maxDelay(Duration.ofSeconds(60))
        .maxDelayJitter(0).timeSource(clock).listener(events).build()) {
      options.apply(BatcherMetricsBinder.builder(likes).listener(events)).build()
          .bindTo(registry);
      Scenarios.tenItems(likes, clock);
      return registry.scrape();
    }
  }

  private static List<String> families(String scrape) {
    return Arrays.stream(scrape.split("\n"))
        .filter(line -> line.startsWith("# TYPE "))
        .map(line -> line.substring("# TYPE ".length()))
        .toList();
  }

  private static List<String> with(List<String> families, String... more) {
    List<String> all = new ArrayList<>(families);
    all.addAll(List.of(more));
    return all;
  }
}
