package dev.batcher.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.BatchEvent;
import dev.batcher.BatchResult;
import dev.batcher.BatchSink;
import dev.batcher.Batcher;
import dev.batcher.BatcherListener;
import dev.batcher.ItemLatencies;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The code samples of docs/metrics.md: each {@code tag::}/{@code end::} region is pasted verbatim
 * (de-indented) into the page, and each test runs its sample against a real batcher.
 */
class MetricsDocSamplesTest {
  record Like(long postId, long userId) {}

  private final BatchSink<Like> likeSink = batch -> BatchResult.success();
  private final MeterRegistry registry = new SimpleMeterRegistry();

  @Test
  void bind() {
    // tag::bind[]
    BatcherMetricsListener events = new BatcherMetricsListener();
    Batcher<Like> likes = Batcher.builder(likeSink)
        .name("likes")
        .listener(events) // latencies, batch sizes and sink call times
        .build();
    BatcherMetricsBinder metrics = BatcherMetricsBinder.builder(likes)
        .listener(events)
        .build();
    metrics.bindTo(registry); // before the first submit
    // end::bind[]
    likes.submit(new Like(42, 1001)).join();
    // Events come before futures: no waiting for the meters.
    assertThat(registry.get("batcher.latency").tag("name", "likes").timer().count()).isEqualTo(1);
    assertThat(registry.get("batcher.batch.size").tag("name", "likes").summary().count())
        .isEqualTo(1);
    assertThat(registry.get("batcher.items").tags("name", "likes", "outcome", "succeeded")
        .functionCounter().count()).isEqualTo(1);
    // tag::close[]
    likes.close();
    metrics.close(); // removes the meters: the name "likes" may be bound again
    // end::close[]
    assertThat(registry.getMeters()).isEmpty();
  }

  @Test
  void options() {
    BatcherMetricsListener events = new BatcherMetricsListener();
    try (Batcher<Like> likes = Batcher.builder(likeSink).name("likes").listener(events).build()) {
      // tag::options[]
      BatcherMetricsBinder.builder(likes)
          .listener(events)
          .percentiles() // p50, p90, p99 and p99.9 of latency, batch size, sink time
          .percentileHistogram() // buckets, for histogram_quantile across instances
          .tags(Tags.of("app", "shop")) // beside name=likes, on every meter
          .build()
          .bindTo(registry);
      // end::options[]
      likes.submit(new Like(42, 1001)).join();
    }
    assertThat(registry.get("batcher.latency.percentile").tags("phi", "0.99", "app", "shop")
        .gauge().value()).isNotNaN();
  }

  @Test
  void snapshotOnly() {
    try (Batcher<Like> likes = Batcher.create(likeSink)) {
      // tag::snapshot-only[]
      BatcherMetricsBinder metrics = BatcherMetricsBinder.of(likes);
      metrics.bindTo(registry); // no batcher.latency or sink.duration; batch sizes as gauges
      // end::snapshot-only[]
      likes.submit(new Like(42, 1001)).join();
      assertThat(registry.find("batcher.batch.size").meter()).isNull();
      assertThat(registry.get("batcher.batch.size.max").gauge().value()).isEqualTo(1);
      assertThat(registry.find("batcher.latency").meter()).isNull();
      assertThat(registry.get("batcher.items.submitted").functionCounter().count()).isEqualTo(1);
    }
  }

  @Test
  void combine() {
    List<Like> failed = new CopyOnWriteArrayList<>();
    // tag::combine[]
    BatcherMetricsListener events = new BatcherMetricsListener();
    BatcherListener<Like> listener = new BatcherListener<>() {
      @Override
      public void onBatch(BatchEvent event) {
        events.onBatch(event); // the meters
      }

      @Override
      public void onItemsCompleted(ItemLatencies latencies) {
        events.onItemsCompleted(latencies); // the meters
      }

      @Override
      public void onFailed(Like like, Throwable cause) {
        failed.add(like); // your own audit
      }
    };
    Batcher<Like> likes = Batcher.builder(likeSink).name("likes").listener(listener).build();
    BatcherMetricsBinder.builder(likes).listener(events).build().bindTo(registry);
    // end::combine[]
    try (likes) {
      likes.submit(new Like(42, 1001)).join();
      assertThat(registry.get("batcher.batch.size").summary().count()).isEqualTo(1);
      assertThat(registry.get("batcher.latency").timer().count()).isEqualTo(1);
    }
    assertThat(failed).isEmpty();
  }

  @Test
  void unbind() {
    Batcher<Like> likes = Batcher.builder(likeSink).name("likes").build();
    BatcherMetricsBinder metrics = BatcherMetricsBinder.of(likes);
    metrics.bindTo(registry);
    likes.close();
    metrics.close();
    assertThat(registry.getMeters()).noneMatch(m -> m.getId().getTags()
        .contains(Tag.of("name", "likes")));
  }
}
