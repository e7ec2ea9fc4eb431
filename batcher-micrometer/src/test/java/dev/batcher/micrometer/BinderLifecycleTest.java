package dev.batcher.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.batcher.Batcher;
import dev.batcher.BatcherMetrics;
import dev.batcher.testing.ManualTimeSource;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Options, bad arguments, binding twice, closing, and percentiles. */
class BinderLifecycleTest {
  private final ManualTimeSource clock = new ManualTimeSource();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<Batcher<?>> open = new ArrayList<>();

  @AfterEach
  void closeAll() {
    open.forEach(b -> b.close(Duration.ofSeconds(5)));
  }

  private Batcher<Integer> batcher(String name, BatcherMetricsListener events) {
    Batcher<Integer> b = Batcher.builder(Scenarios.twoMillisecondSink(clock)).name(name)
        .maxBatchSize(4).queueCapacity(16).maxDelay(Duration.ofSeconds(60)).maxDelayJitter(0)
        .timeSource(clock).listener(events).build();
    open.add(b);
    return b;
  }

  private Batcher<Integer> batcher(String name) {
    return batcher(name, new BatcherMetricsListener());
  }

  private static long meterCount(MeterRegistry registry, String batcher) {
    return registry.getMeters().stream()
        .filter(m -> batcher.equals(m.getId().getTag("name")))
        .count();
  }

  // ------------------------------------------------------------------------------ arguments

  @Test
  void nullArguments_areRejectedNamingTheArgument() {
    Batcher<Integer> b = batcher("likes");
    BatcherMetricsBinder.Builder builder = BatcherMetricsBinder.builder(b);
    assertThatThrownBy(() -> BatcherMetricsBinder.builder(null))
        .isInstanceOf(NullPointerException.class).hasMessage("batcher");
    assertThatThrownBy(() -> BatcherMetricsBinder.of(null))
        .isInstanceOf(NullPointerException.class).hasMessage("batcher");
    assertThatThrownBy(() -> builder.listener(null))
        .isInstanceOf(NullPointerException.class).hasMessage("listener");
    assertThatThrownBy(() -> builder.tags(null))
        .isInstanceOf(NullPointerException.class).hasMessage("tags");
    assertThatThrownBy(() -> BatcherMetricsBinder.of(b).bindTo(null))
        .isInstanceOf(NullPointerException.class).hasMessage("registry");
  }

  @Test
  void optionsSetTwice_areRejectedNamingTheEarlierValue() {
    BatcherMetricsBinder.Builder builder = BatcherMetricsBinder.builder(batcher("likes"))
        .listener(new BatcherMetricsListener()).percentiles().tags(Tags.of("app", "shop"));
    assertThatThrownBy(() -> builder.listener(new BatcherMetricsListener()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("listener was already set to BatcherMetricsListener{unbound, registries=0}");
    assertThatThrownBy(builder::percentiles)
        .isInstanceOf(IllegalStateException.class).hasMessage("percentiles was already set");
    assertThatThrownBy(() -> builder.tags(Tags.of("app", "other")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("tags was already set to [tag(app=shop)]");
  }

  @Test
  void tags_withTheKeyName_areRejected() {
    BatcherMetricsBinder.Builder builder = BatcherMetricsBinder.builder(batcher("likes"));
    assertThatThrownBy(() -> builder.tags(List.of(Tag.of("name", "other"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("tags must not have the key 'name', which holds the batcher's name: "
            + "tag(name=other)");
  }

  @Test
  void extraTags_areOnEveryMeterBesideTheName() {
    BatcherMetricsListener events = new BatcherMetricsListener();
    Batcher<Integer> likes = batcher("likes", events);
    BatcherMetricsBinder.builder(likes).listener(events).tags(Tags.of("app", "shop")).build()
        .bindTo(registry);

    assertThat(registry.getMeters()).isNotEmpty().allSatisfy(m -> assertThat(m.getId().getTags())
        .contains(Tag.of("name", "likes"), Tag.of("app", "shop")));
  }

  @Test
  void withoutListener_theEventMetersAreAbsentAndTheRestWork() {
    Batcher<Integer> likes = batcher("likes");
    BatcherMetricsBinder.of(likes).bindTo(registry);
    Scenarios.tenItems(likes, clock);

    assertThat(MeterReadings.read(registry, "likes")).isEqualTo(MeterReadings.zeros()
        .without("batcher.batch.size").without("batcher.sink.duration")
        .set("batcher.items.submitted count", 10)
        .set("batcher.items{outcome=succeeded} count", 10)
        .set("batcher.flushes{cause=size} count", 2)
        .set("batcher.flushes{cause=flush} count", 1)
        .set("batcher.latency count", 10)
        .set("batcher.latency total_time", 0.030)
        .set("batcher.latency.max value", 0.007)
        .values());
  }

  // ------------------------------------------------------------------------------ binding

  @Test
  void bindingTwiceToOneRegistry_registersAndRecordsOnce() {
    BatcherMetricsListener events = new BatcherMetricsListener();
    Batcher<Integer> likes = batcher("likes", events);
    BatcherMetricsBinder binder = BatcherMetricsBinder.builder(likes).listener(events).build();
    binder.bindTo(registry);
    long meters = meterCount(registry, "likes");
    binder.bindTo(registry);
    Scenarios.tenItems(likes, clock);

    assertThat(meterCount(registry, "likes")).isEqualTo(meters);
    await().untilAsserted(() ->
        assertThat(registry.get("batcher.batch.size").summary().count()).isEqualTo(3));
    assertThat(registry.get("batcher.batch.size").summary().totalAmount()).isEqualTo(10);
  }

  @Test
  void bindingToTwoRegistries_recordsEventsInBoth() {
    SimpleMeterRegistry other = new SimpleMeterRegistry();
    BatcherMetricsListener events = new BatcherMetricsListener();
    Batcher<Integer> likes = batcher("likes", events);
    BatcherMetricsBinder binder = BatcherMetricsBinder.builder(likes).listener(events).build();
    binder.bindTo(registry);
    binder.bindTo(other);
    Scenarios.tenItems(likes, clock);

    for (MeterRegistry r : List.of(registry, other)) {
      await().untilAsserted(() ->
          assertThat(r.get("batcher.batch.size").summary().count()).isEqualTo(3));
      assertThat(r.get("batcher.items").tag("outcome", "succeeded").functionCounter().count())
          .isEqualTo(10);
    }
    assertThat(events).hasToString("BatcherMetricsListener{batcher=likes, registries=2}");
  }

  @Test
  void aSecondBatcherWithTheSameName_isRefused() {
    BatcherMetricsBinder.of(batcher("likes")).bindTo(registry);
    BatcherMetricsBinder second = BatcherMetricsBinder.of(batcher("likes"));

    assertThatThrownBy(() -> second.bindTo(registry))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("the registry already holds the meters of a batcher named 'likes' with tags "
            + "[tag(name=likes)]: give each batcher a distinct name, or close the earlier binder");
  }

  @Test
  void sameNameWithOtherTags_isAllowedInEitherOrder_sameTagsUnderCommonTags_isRefused() {
    BatcherMetricsBinder.builder(batcher("likes")).tags(Tags.of("app", "shop")).build()
        .bindTo(registry);
    BatcherMetricsBinder.of(batcher("likes")).bindTo(registry);
    BatcherMetricsBinder.builder(batcher("likes")).tags(Tags.of("app", "blog")).build()
        .bindTo(registry);
    assertThat(registry.find("batcher.items.submitted").functionCounters()).hasSize(3);

    SimpleMeterRegistry common = new SimpleMeterRegistry();
    common.config().commonTags("env", "prod");
    BatcherMetricsBinder.of(batcher("views")).bindTo(common);
    assertThatThrownBy(() -> BatcherMetricsBinder.of(batcher("views")).bindTo(common))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("the registry already holds the meters of a batcher named"
            + " 'views'");
  }

  @Test
  void oneListenerForTwoBatchers_isRefused() {
    BatcherMetricsListener events = new BatcherMetricsListener();
    Batcher<Integer> likes = batcher("likes", events);
    BatcherMetricsBinder.builder(likes).listener(events).build().bindTo(registry);
    BatcherMetricsBinder views =
        BatcherMetricsBinder.builder(batcher("views")).listener(events).build();

    assertThatThrownBy(() -> views.bindTo(registry))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("the listener already records batcher 'likes', not 'views': give each "
            + "batcher its own listener");
    assertThat(meterCount(registry, "views")).isZero();
  }

  @Test
  void aRegistryThatRefusesAMeter_keepsNoneOfTheBindersAndTheOthersKeepRecording() {
    SimpleMeterRegistry refusing = new SimpleMeterRegistry();
    refusing.config().meterFilter(new MeterFilter() {
      @Override
      public Meter.Id map(Meter.Id id) {
        if (id.getName().equals("batcher.retries")) {
          throw new IllegalArgumentException("no retries here");
        }
        return id;
      }
    });
    BatcherMetricsListener events = new BatcherMetricsListener();
    Batcher<Integer> likes = batcher("likes", events);
    BatcherMetricsBinder binder = BatcherMetricsBinder.builder(likes).listener(events).build();
    binder.bindTo(registry);

    assertThatThrownBy(() -> binder.bindTo(refusing))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("no retries here");
    Scenarios.tenItems(likes, clock);

    assertThat(refusing.getMeters()).isEmpty();
    assertThat(events).hasToString("BatcherMetricsListener{batcher=likes, registries=1}");
    await().untilAsserted(() ->
        assertThat(registry.get("batcher.batch.size").summary().count()).isEqualTo(3));
  }

  // ------------------------------------------------------------------------------ closing

  @Test
  void closedBatcher_metersKeepItsFinalValues() {
    BatcherMetricsListener events = new BatcherMetricsListener();
    Batcher<Integer> likes = batcher("likes", events);
    BatcherMetricsBinder.builder(likes).listener(events).build().bindTo(registry);
    Scenarios.tenItems(likes, clock);
    likes.close();

    await().untilAsserted(() -> assertThat(MeterReadings.read(registry, "likes"))
        .isEqualTo(MeterReadings.zeros()
            .set("batcher.items.submitted count", 10)
            .set("batcher.items{outcome=succeeded} count", 10)
            .set("batcher.flushes{cause=size} count", 2)
            .set("batcher.flushes{cause=flush} count", 1)
            .set("batcher.latency count", 10)
            .set("batcher.latency total_time", 0.030)
            .set("batcher.latency.max value", 0.007)
            .set("batcher.batch.size count", 3)
            .set("batcher.batch.size total", 10)
            .set("batcher.batch.size max", 4)
            .set("batcher.sink.duration count", 3)
            .set("batcher.sink.duration total_time", 0.006)
            .set("batcher.sink.duration max", 0.002)
            .values()));
  }

  @Test
  void closingTheBinder_removesItsMetersAndStopsTheListener() {
    BatcherMetricsListener events = new BatcherMetricsListener();
    Batcher<Integer> likes = batcher("likes", events);
    BatcherMetricsBinder binder = BatcherMetricsBinder.builder(likes).listener(events).build();
    binder.bindTo(registry);
    DistributionSummary sizes = registry.get("batcher.batch.size").summary();

    binder.close();
    binder.close(); // idempotent
    Scenarios.tenItems(likes, clock);

    assertThat(meterCount(registry, "likes")).isZero();
    assertThat(sizes.count()).isZero();
    assertThat(events).hasToString("BatcherMetricsListener{batcher=likes, registries=0}");
    // The name is free again: a new batcher named likes binds (as after a restart).
    BatcherMetricsBinder.of(batcher("likes")).bindTo(registry);
    assertThat(registry.get("batcher.items.submitted").functionCounter().count()).isZero();
  }

  @Test
  void boundBatcherNobodyCloses_canStillBeCollected() {
    // The listener lives in the batcher's configuration, which its threads reach: were it to
    // hold the batcher strongly, an unclosed batcher could never be collected (nor reported).
    BatcherMetricsListener events = new BatcherMetricsListener();
    Batcher<Integer> likes = Batcher.builder(Scenarios.twoMillisecondSink(clock)).name("likes")
        .timeSource(clock).listener(events).build();
    BatcherMetricsBinder.builder(likes).listener(events).build().bindTo(registry);
    java.lang.ref.WeakReference<Batcher<Integer>> ref = new java.lang.ref.WeakReference<>(likes);
    likes = null;

    await().atMost(Duration.ofSeconds(20)).until(() -> {
      System.gc();
      return ref.get() == null;
    });
    assertThat(events).hasToString("BatcherMetricsListener{batcher=likes, registries=1}");
  }

  // ------------------------------------------------------------------------------ percentiles

  @Test
  void percentiles_publishTheBatchersLatencyPercentilesAndMicrometersForTheEvents() {
    BatcherMetricsListener events = new BatcherMetricsListener();
    Batcher<Integer> likes = batcher("likes", events);
    BatcherMetricsBinder.builder(likes).listener(events).percentiles().build().bindTo(registry);
    Scenarios.tenItems(likes, clock);
    await().untilAsserted(() ->
        assertThat(registry.get("batcher.batch.size").summary().count()).isEqualTo(3));

    BatcherMetrics m = likes.metrics();
    Map<String, Double> readings = MeterReadings.read(registry, "likes");
    // The batcher's own (log-linear) percentiles, in seconds: 8 items of 2 ms, 2 of 7 ms.
    assertThat(readings)
        .containsEntry("batcher.latency.percentile{phi=0.5} value", m.latency().p50() / 1e9)
        .containsEntry("batcher.latency.percentile{phi=0.9} value", 0.007)
        .containsEntry("batcher.latency.percentile{phi=0.99} value", 0.007)
        .containsEntry("batcher.latency.percentile{phi=0.999} value", 0.007);
    assertThat(m.latency().p50()).isBetween(2_000_000L, 2_120_000L); // within 6% of 2 ms
    // Micrometer's own, under the same naming: <name>.percentile tagged phi.
    assertThat(readings.keySet()).filteredOn(k -> k.contains(".percentile"))
        .containsExactlyInAnyOrder(
        "batcher.batch.size.percentile{phi=0.5} value",
        "batcher.batch.size.percentile{phi=0.9} value",
        "batcher.batch.size.percentile{phi=0.99} value",
        "batcher.batch.size.percentile{phi=0.999} value",
        "batcher.latency.percentile{phi=0.5} value",
        "batcher.latency.percentile{phi=0.9} value",
        "batcher.latency.percentile{phi=0.99} value",
        "batcher.latency.percentile{phi=0.999} value",
        "batcher.sink.duration.percentile{phi=0.5} value",
        "batcher.sink.duration.percentile{phi=0.9} value",
        "batcher.sink.duration.percentile{phi=0.99} value",
        "batcher.sink.duration.percentile{phi=0.999} value");
  }

  @Test
  void toString_namesTheBatcherAndOptions() {
    Batcher<Integer> likes = batcher("likes");
    assertThat(BatcherMetricsBinder.of(likes)).hasToString(
        "BatcherMetricsBinder{batcher=likes, tags=[tag(name=likes)], percentiles=false, "
            + "listener=false}");
    assertThat(new BatcherMetricsListener())
        .hasToString("BatcherMetricsListener{unbound, registries=0}");
  }
}
