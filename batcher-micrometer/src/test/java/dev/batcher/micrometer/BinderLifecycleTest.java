package dev.batcher.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import dev.batcher.Batcher;
import dev.batcher.Distribution;
import dev.batcher.testing.ManualTimeSource;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
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

  @Test
  void bindingTwice_toARegistryThatDeniesTheMeters_doesNothing() {
    SimpleMeterRegistry denying = new SimpleMeterRegistry();
    denying.config().meterFilter(MeterFilter.denyNameStartsWith("batcher.items"));
    BatcherMetricsBinder binder = BatcherMetricsBinder.of(batcher("likes"));
    binder.bindTo(denying);
    long once = meterCount(denying, "likes");
    assertThat(once).as("the meters the filter lets through").isPositive();

    binder.bindTo(denying);

    assertThat(meterCount(denying, "likes")).isEqualTo(once);
    binder.close();
    assertThat(meterCount(denying, "likes")).isZero();
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
    builder.percentileHistogram();
    assertThatThrownBy(builder::percentileHistogram).isInstanceOf(IllegalStateException.class)
        .hasMessage("percentileHistogram was already set");
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
  void tags_withANullTag_nameItsIndex() {
    BatcherMetricsBinder.Builder builder = BatcherMetricsBinder.builder(batcher("likes"));
    assertThatThrownBy(() -> builder.tags(Arrays.asList(Tag.of("app", "shop"), null)))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("tags[1]");
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
  void withoutListener_theEventMetersAreAbsent_theSnapshotsBatchSizesAreGauges() {
    Batcher<Integer> likes = batcher("likes");
    BatcherMetricsBinder.of(likes).bindTo(registry);
    Scenarios.tenItems(likes, clock);

    Distribution sizes = likes.metrics().batchSize(); // batches of 4, 4 and 2
    assertThat(sizes.count()).isEqualTo(3);
    assertThat(MeterReadings.read(registry, "likes")).isEqualTo(MeterReadings.zeros()
        .without("batcher.batch.size").without("batcher.sink.duration")
        .set("batcher.items.submitted count", 10)
        .set("batcher.items{outcome=succeeded} count", 10)
        .set("batcher.flushes{cause=size} count", 2)
        .set("batcher.flushes{cause=flush} count", 1)
        .without("batcher.latency")
        .set("batcher.batch.size.mean value", 10 / 3.0)
        .set("batcher.batch.size.max value", 4)
        .set("batcher.batch.size.percentile{phi=0.5} value", sizes.p50())
        .set("batcher.batch.size.percentile{phi=0.9} value", sizes.p90())
        .set("batcher.batch.size.percentile{phi=0.99} value", sizes.p99())
        .set("batcher.batch.size.percentile{phi=0.999} value", sizes.p999())
        .values());
    assertThat(sizes.p50()).isBetween(3L, 5L); // the snapshot's, to within its buckets
  }

  @Test
  void percentilesOrHistogramWithoutListener_areRejectedAtBuild() {
    Batcher<Integer> likes = batcher("likes");
    assertThatThrownBy(() -> BatcherMetricsBinder.builder(likes).percentiles().build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("percentiles needs a listener: it applies to the meters the listener's "
            + "events feed");
    assertThatThrownBy(() -> BatcherMetricsBinder.builder(likes).percentileHistogram().build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("percentileHistogram needs a listener: it applies to the meters the "
            + "listener's events feed");
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
  void theNameIsFreeAgain_whenTheRegistryLosesTheMeters() {
    BatcherMetricsBinder.of(batcher("likes")).bindTo(registry);
    registry.clear();
    BatcherMetricsBinder.of(batcher("likes")).bindTo(registry); // as after a restart

    SimpleMeterRegistry other = new SimpleMeterRegistry();
    BatcherMetricsBinder.of(batcher("views")).bindTo(other);
    new ArrayList<>(other.getMeters()).forEach(other::remove);
    BatcherMetricsBinder.of(batcher("views")).bindTo(other);
    assertThat(meterCount(other, "views")).isEqualTo(meterCount(registry, "likes"));
  }

  @Test
  void aBinderWhoseMetersWereCleared_bindsAgainAndRecordsOnce() {
    BatcherMetricsListener events = new BatcherMetricsListener();
    Batcher<Integer> likes = batcher("likes", events);
    BatcherMetricsBinder binder = BatcherMetricsBinder.builder(likes).listener(events).build();
    binder.bindTo(registry);
    long meters = meterCount(registry, "likes");
    registry.clear();
    binder.bindTo(registry);
    Scenarios.tenItems(likes, clock);

    assertThat(meterCount(registry, "likes")).isEqualTo(meters);
    assertThat(events).hasToString("BatcherMetricsListener{batcher=likes, registries=1}");
    assertThat(registry.get("batcher.latency").timer().count()).isEqualTo(10);
    binder.close();
    assertThat(registry.getMeters()).isEmpty();
  }

  @Test
  void closingAStaleBinder_leavesTheMetersOfItsSuccessorAlone() {
    BatcherMetricsBinder first = BatcherMetricsBinder.of(batcher("likes"));
    first.bindTo(registry);
    registry.clear();
    BatcherMetricsBinder.of(batcher("likes")).bindTo(registry);
    long meters = meterCount(registry, "likes");

    first.close(); // its meters are gone; the same ids are the successor's now

    assertThat(meterCount(registry, "likes")).isEqualTo(meters);
  }

  @Test
  void composite_aChildHoldingTheName_refusesEitherWay() {
    CompositeMeterRegistry composite = new CompositeMeterRegistry();
    SimpleMeterRegistry child = new SimpleMeterRegistry();
    composite.add(child);

    // Through the composite first: the child holds its meters too.
    BatcherMetricsBinder.of(batcher("likes")).bindTo(composite);
    assertThatThrownBy(() -> BatcherMetricsBinder.of(batcher("likes")).bindTo(child))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("the registry already holds the meters of a batcher named 'likes' with tags "
            + "[tag(name=likes)]: give each batcher a distinct name, or close the earlier binder");

    // The child first: the composite would adopt the child's meters, reading the first batcher.
    BatcherMetricsBinder.of(batcher("views")).bindTo(child);
    long childMeters = child.getMeters().size();
    assertThatThrownBy(() -> BatcherMetricsBinder.of(batcher("views")).bindTo(composite))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("a registry in the composite already holds the meters of a batcher named "
            + "'views' with tags [tag(name=views)]: give each batcher a distinct name, or close "
            + "the earlier binder");
    assertThat(child.getMeters()).hasSize((int) childMeters);
    assertThat(composite.find("batcher.items.submitted").tag("name", "views").meters()).isEmpty();

    // Another name binds through the composite into the child.
    BatcherMetricsBinder clicks = BatcherMetricsBinder.of(batcher("clicks"));
    clicks.bindTo(composite);
    assertThat(meterCount(child, "clicks")).isEqualTo(meterCount(child, "views"));
    clicks.close();
    assertThat(meterCount(child, "clicks")).isZero();
  }

  @Test
  void aMeterOfAnotherKindWithTheClaimedId_isRefused() {
    registry.counter("batcher.items.submitted", "name", "likes").increment(5);

    assertThatThrownBy(() -> BatcherMetricsBinder.of(batcher("likes")).bindTo(registry))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("the registry already holds the meters of a batcher named "
            + "'likes'");
    assertThat(registry.getMeters()).hasSize(1);
    assertThat(registry.get("batcher.items.submitted").counter().count()).isEqualTo(5);
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
            .set("batcher.latency max", 0.007)
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
  void percentiles_areMicrometersOwnForTheListenersMeters() {
    BatcherMetricsListener events = new BatcherMetricsListener();
    Batcher<Integer> likes = batcher("likes", events);
    BatcherMetricsBinder.builder(likes).listener(events).percentiles().build().bindTo(registry);
    Scenarios.tenItems(likes, clock);

    Map<String, Double> readings = MeterReadings.read(registry, "likes");
    // Micrometer's naming in registries that publish percentiles as gauges: tagged phi.
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
    // 8 items of 2 ms, 2 of 7 ms: within Micrometer's histogram precision.
    assertThat(readings.get("batcher.latency.percentile{phi=0.5} value"))
        .isCloseTo(0.002, within(0.0002));
    assertThat(readings.get("batcher.latency.percentile{phi=0.99} value"))
        .isCloseTo(0.007, within(0.0005));
  }

  @Test
  void meterFilters_configureTheLatencyTimer() {
    registry.config().meterFilter(new MeterFilter() {
      @Override
      public DistributionStatisticConfig configure(Meter.Id id,
          DistributionStatisticConfig config) {
        if (!id.getName().equals("batcher.latency")) {
          return config;
        }
        return DistributionStatisticConfig.builder()
            .percentiles(0.95)
            .serviceLevelObjectives(Duration.ofMillis(5).toNanos())
            .build().merge(config);
      }
    });
    BatcherMetricsListener events = new BatcherMetricsListener();
    Batcher<Integer> likes = batcher("likes", events);
    BatcherMetricsBinder.builder(likes).listener(events).build().bindTo(registry);
    Scenarios.tenItems(likes, clock);

    Timer latency = registry.get("batcher.latency").timer();
    HistogramSnapshot snapshot = latency.takeSnapshot();
    assertThat(snapshot.percentileValues()).extracting(ValueAtPercentile::percentile)
        .containsExactly(0.95);
    assertThat(snapshot.histogramCounts()).singleElement()
        .satisfies(bucket -> assertThat(bucket.count()).isEqualTo(8)); // 8 of 10 within 5 ms
  }

  @Test
  void toString_namesTheBatcherAndOptions() {
    Batcher<Integer> likes = batcher("likes");
    assertThat(BatcherMetricsBinder.of(likes)).hasToString(
        "BatcherMetricsBinder{batcher=likes, tags=[tag(name=likes)], percentiles=false, "
            + "percentileHistogram=false, listener=false}");
    assertThat(new BatcherMetricsListener())
        .hasToString("BatcherMetricsListener{unbound, registries=0}");
  }
}
