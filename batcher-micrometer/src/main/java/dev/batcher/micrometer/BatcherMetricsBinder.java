package dev.batcher.micrometer;

import static java.util.Objects.requireNonNull;

import dev.batcher.Batcher;
import dev.batcher.BatcherMetrics;
import dev.batcher.Distribution;
import dev.batcher.DropReason;
import dev.batcher.FlushCause;
import dev.batcher.RefusalReason;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;

/**
 * Binds a {@link Batcher}'s metrics to a Micrometer {@link MeterRegistry}: counters, gauges and a
 * timer that read the batcher's {@linkplain Batcher#metrics() snapshot} whenever the registry
 * asks, and, with a {@link BatcherMetricsListener} registered on the batcher's builder, the batch
 * events. Every meter is tagged {@code name=<the batcher's name>}, plus the {@linkplain
 * Builder#tags extra tags}.
 *
 * <pre>{@code
 * BatcherMetricsListener events = new BatcherMetricsListener();
 * Batcher<Like> likes = Batcher.builder(sink).name("likes").listener(events).build();
 * BatcherMetricsBinder.builder(likes).listener(events).build().bindTo(registry);
 * }</pre>
 *
 * <h2>Meters</h2>
 * <table>
 *   <caption>Meters, their types and tags, besides {@code name}</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th><th>meaning</th></tr>
 *   <tr><td>{@code batcher.items.submitted}</td><td>function counter</td><td></td>
 *       <td>items passed to {@code submit} or {@code offer}, refused ones included</td></tr>
 *   <tr><td>{@code batcher.items}</td><td>function counter</td><td>{@code outcome}: {@code
 *       succeeded}, {@code dead_lettered}, {@code failed}, {@code refused}, {@code dropped}</td>
 *       <td>items that ended so; with {@code batcher.items.pending} they add up to {@code
 *       batcher.items.submitted}</td></tr>
 *   <tr><td>{@code batcher.items.refused}</td><td>function counter</td><td>{@code reason}: a
 *       {@link RefusalReason}, lower case ({@code queue_full}, ...)</td>
 *       <td>items refused at submit time, by reason</td></tr>
 *   <tr><td>{@code batcher.items.dropped}</td><td>function counter</td><td>{@code reason}: a
 *       {@link DropReason}, lower case ({@code evicted}, ...)</td>
 *       <td>accepted items abandoned before the sink confirmed them, by reason</td></tr>
 *   <tr><td>{@code batcher.flushes}</td><td>function counter</td><td>{@code cause}: a {@link
 *       FlushCause}, lower case ({@code size}, ...)</td><td>sink calls, by why the batch was
 *       sent (calls abandoned at their delivery timeout included)</td></tr>
 *   <tr><td>{@code batcher.retries}</td><td>function counter</td><td></td>
 *       <td>item attempts scheduled after a failure</td></tr>
 *   <tr><td>{@code batcher.bisections}</td><td>function counter</td><td></td>
 *       <td>failed atomic batches split in two to isolate poison items</td></tr>
 *   <tr><td>{@code batcher.items.pending}</td><td>gauge</td><td></td>
 *       <td>items accepted and not finished: waiting, in flight or awaiting a retry</td></tr>
 *   <tr><td>{@code batcher.queue.depth}</td><td>gauge</td><td></td>
 *       <td>items waiting in the queue for a batch</td></tr>
 *   <tr><td>{@code batcher.batches.in.flight}</td><td>gauge</td><td></td>
 *       <td>sink calls under way</td></tr>
 *   <tr><td>{@code batcher.sink.calls.abandoned}</td><td>gauge</td><td></td>
 *       <td>sink calls abandoned after the delivery timeout that have not returned yet</td></tr>
 *   <tr><td>{@code batcher.latency}</td><td>function timer</td><td></td>
 *       <td>enqueue-to-completion time of finished items: count and total</td></tr>
 *   <tr><td>{@code batcher.latency.max}</td><td>time gauge</td><td></td>
 *       <td>the longest enqueue-to-completion time since the batcher started</td></tr>
 *   <tr><td>{@code batcher.latency.percentile}</td><td>time gauge</td><td>{@code phi}: {@code
 *       0.5}, {@code 0.9}, {@code 0.99}, {@code 0.999}</td><td>only with {@link
 *       Builder#percentiles()}: percentiles of the enqueue-to-completion time</td></tr>
 *   <tr><td>{@code batcher.batch.size}</td><td>distribution summary</td><td></td>
 *       <td>only with a {@linkplain Builder#listener listener}: items per sink call</td></tr>
 *   <tr><td>{@code batcher.sink.duration}</td><td>timer</td><td></td>
 *       <td>only with a {@linkplain Builder#listener listener}: time each sink call took</td></tr>
 * </table>
 *
 * <p>Items count as {@link BatcherMetrics} counts them: an item merged by coalescing counts once
 * per submit. The latency meters read the batcher's own histogram, since no event carries an
 * item's enqueue time: they cover every finished item since the batcher started, and its
 * percentiles are within about 6% (log-linear buckets) and never decay. The listener's meters are
 * ordinary Micrometer meters: {@link Builder#percentiles()} publishes their percentiles the way
 * Micrometer does (over its rolling window), and a {@code MeterFilter} may configure them further
 * (a percentile histogram, service level objectives). Percentile gauges follow Micrometer's naming
 * ({@code <name>.percentile} tagged {@code phi}) in registries that publish percentiles as gauges.
 *
 * <h2>Lifecycle</h2>
 * Each meter reads a fresh snapshot when the registry asks for its value. A closed batcher's meters
 * keep reading its final values: counters their totals, gauges zero. Micrometer holds the batcher
 * weakly: once it is garbage-collected, its counters keep their last values and its gauges read
 * NaN. {@link #close()} removes this binder's meters from every registry it bound them to.
 *
 * <p>Binding twice to the same registry does nothing the second time. Binding a batcher to a
 * registry that already holds the meters of a batcher with the same name and tags is refused:
 * Micrometer would keep the first meters, which read the first batcher. Thread-safe.
 */
public final class BatcherMetricsBinder implements MeterBinder, AutoCloseable {

  /** The percentiles the batcher's histogram reports, and that {@link Builder#percentiles} adds. */
  static final double[] PERCENTILES = {0.5, 0.9, 0.99, 0.999};

  private final Batcher<?> batcher;
  private final @Nullable BatcherMetricsListener listener;
  private final boolean percentiles;
  private final Tags tags;
  /** The meters registered in each registry, for {@link #close()}. Guarded by this. */
  private final Map<MeterRegistry, List<Meter>> bound = new IdentityHashMap<>();
  /**
   * Per registry (held weakly), the tags of the batchers bound to it by any binder: a second
   * batcher with the same name and tags would only ever show the first one's numbers.
   */
  private static final Map<MeterRegistry, Set<Tags>> TAKEN = new WeakHashMap<>();

  private BatcherMetricsBinder(Builder builder) {
    this.batcher = builder.batcher;
    this.listener = builder.listener;
    this.percentiles = builder.percentiles;
    Tags extra = builder.tags == null ? Tags.empty() : builder.tags;
    this.tags = Tags.of("name", batcher.name()).and(extra);
  }

  /**
   * Returns a builder of a binder for {@code batcher}.
   *
   * @param batcher the batcher whose metrics the binder publishes
   * @return a new builder
   * @throws NullPointerException if {@code batcher} is null
   */
  public static Builder builder(Batcher<?> batcher) {
    return new Builder(requireNonNull(batcher, "batcher"));
  }

  /**
   * Returns a binder for {@code batcher} with every option at its default: no listener (so no
   * {@code batcher.batch.size} or {@code batcher.sink.duration}), no percentiles, no extra tags.
   *
   * @param batcher the batcher whose metrics the binder publishes
   * @return the binder; it registers nothing until {@link #bindTo} is called
   * @throws NullPointerException if {@code batcher} is null
   */
  public static BatcherMetricsBinder of(Batcher<?> batcher) {
    return builder(batcher).build();
  }

  /**
   * Registers the batcher's meters in {@code registry}, and starts the listener recording into it.
   * Does nothing if this binder already bound them there.
   *
   * @throws NullPointerException if {@code registry} is null
   * @throws IllegalStateException if {@code registry} already holds the meters of a batcher with
   *     the same name and tags, or if the listener records another batcher
   */
  @Override
  public synchronized void bindTo(MeterRegistry registry) {
    requireNonNull(registry, "registry");
    if (bound.containsKey(registry)) {
      return;
    }
    // Exactly these tags, as the binders gave them: a registry's find(...).tags(...) would also
    // match a batcher of the same name with more tags, and its common tags hide exact matches.
    synchronized (TAKEN) {
      if (!TAKEN.computeIfAbsent(registry, r -> new HashSet<>()).add(tags)) {
        throw new IllegalStateException("the registry already holds the meters of a batcher named"
            + " '" + batcher.name() + "' with tags " + tags
            + ": give each batcher a distinct name, or close the earlier binder");
      }
    }
    List<Meter> meters = new ArrayList<>();
    try {
      if (listener != null) {
        meters.addAll(listener.attach(batcher, registry, tags, percentiles));
      }
      bindCounters(registry, meters);
      bindGauges(registry, meters);
      bindLatency(registry, meters);
    } catch (RuntimeException e) { // a registry that refuses a meter: leave nothing half-bound
      unbind(registry, meters);
      throw e;
    }
    bound.put(registry, meters);
  }

  private void bindCounters(MeterRegistry registry, List<Meter> meters) {
    meters.add(counter(registry, "batcher.items.submitted", Tags.empty(),
        "Items passed to submit or offer, refused ones included", BatcherMetrics::submitted));
    // One description per name: Prometheus shows one HELP line for all of a name's tags.
    meters.add(items(registry, "succeeded", BatcherMetrics::succeeded));
    meters.add(items(registry, "dead_lettered", BatcherMetrics::deadLettered));
    meters.add(items(registry, "failed", BatcherMetrics::failed));
    meters.add(items(registry, "refused", BatcherMetrics::totalRefused));
    meters.add(items(registry, "dropped", BatcherMetrics::totalDropped));
    for (RefusalReason r : RefusalReason.values()) {
      meters.add(counter(registry, "batcher.items.refused", Tags.of("reason", tagValue(r)),
          "Items refused at submit time, by reason", m -> m.refused().get(r)));
    }
    for (DropReason r : DropReason.values()) {
      meters.add(counter(registry, "batcher.items.dropped", Tags.of("reason", tagValue(r)),
          "Accepted items abandoned before the sink confirmed them, by reason",
          m -> m.dropped().get(r)));
    }
    for (FlushCause c : FlushCause.values()) {
      meters.add(counter(registry, "batcher.flushes", Tags.of("cause", tagValue(c)),
          "Sink calls, by why the batch was sent", m -> m.batches().get(c)));
    }
    meters.add(counter(registry, "batcher.retries", Tags.empty(),
        "Item attempts scheduled after a failure", BatcherMetrics::retries));
    meters.add(counter(registry, "batcher.bisections", Tags.empty(),
        "Failed atomic batches split in two to isolate poison items",
        BatcherMetrics::bisections));
  }

  private void bindGauges(MeterRegistry registry, List<Meter> meters) {
    meters.add(gauge(registry, "batcher.items.pending",
        "Items accepted and not finished: waiting, in flight or awaiting a retry",
        BatcherMetrics::pending));
    meters.add(gauge(registry, "batcher.queue.depth", "Items waiting in the queue for a batch",
        BatcherMetrics::queueDepth));
    meters.add(gauge(registry, "batcher.batches.in.flight", "Sink calls under way",
        BatcherMetrics::inFlightBatches));
    meters.add(gauge(registry, "batcher.sink.calls.abandoned",
        "Sink calls abandoned after the delivery timeout that have not returned yet",
        BatcherMetrics::abandonedCallsRunning));
  }

  private void bindLatency(MeterRegistry registry, List<Meter> meters) {
    meters.add(FunctionTimer.builder("batcher.latency", batcher,
            b -> b.metrics().latency().count(),
            b -> totalNanos(b.metrics().latency()),
            TimeUnit.NANOSECONDS)
        .description("Enqueue-to-completion time of finished items")
        .tags(tags)
        .register(registry));
    meters.add(latencyGauge(registry, "batcher.latency.max", Tags.empty(),
        "The longest enqueue-to-completion time since the batcher started", Distribution::max));
    if (percentiles) {
      List<ToLongFunction<Distribution>> values = List.of(
          Distribution::p50, Distribution::p90, Distribution::p99, Distribution::p999);
      for (int i = 0; i < PERCENTILES.length; i++) {
        meters.add(latencyGauge(registry, "batcher.latency.percentile",
            Tags.of("phi", Double.toString(PERCENTILES[i])),
            "Percentile of the enqueue-to-completion time since the batcher started",
            values.get(i)));
      }
    }
  }

  /** The total of a distribution's values, from its mean: exact up to double rounding. */
  private static double totalNanos(Distribution d) {
    return d.mean() * d.count();
  }

  private Meter items(MeterRegistry registry, String outcome, ToLongFunction<BatcherMetrics> f) {
    return counter(registry, "batcher.items", Tags.of("outcome", outcome),
        "Items that ended, by outcome: succeeded, dead_lettered, failed, refused, dropped", f);
  }

  private Meter counter(MeterRegistry registry, String name, Tags extra, String description,
      ToLongFunction<BatcherMetrics> f) {
    return FunctionCounter.builder(name, batcher, b -> f.applyAsLong(b.metrics()))
        .description(description)
        .tags(tags.and(extra))
        .register(registry);
  }

  private Meter gauge(MeterRegistry registry, String name, String description,
      ToDoubleFunction<BatcherMetrics> f) {
    return Gauge.builder(name, batcher, b -> f.applyAsDouble(b.metrics()))
        .description(description)
        .tags(tags)
        .register(registry);
  }

  private Meter latencyGauge(MeterRegistry registry, String name, Tags extra, String description,
      ToLongFunction<Distribution> f) {
    return TimeGauge.builder(name, batcher, TimeUnit.NANOSECONDS,
            b -> f.applyAsLong(b.metrics().latency()))
        .description(description)
        .tags(tags.and(extra))
        .register(registry);
  }

  private static String tagValue(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT);
  }

  /**
   * Removes this binder's meters from every registry it bound them to, and stops the listener
   * recording into them. The binder may bind again afterwards. Idempotent.
   */
  @Override
  public synchronized void close() {
    bound.forEach(this::unbind);
    bound.clear();
  }

  private void unbind(MeterRegistry registry, List<Meter> meters) {
    if (listener != null) {
      listener.detach(meters);
    }
    meters.forEach(registry::remove);
    synchronized (TAKEN) {
      Set<Tags> taken = TAKEN.get(registry);
      if (taken != null) {
        taken.remove(tags);
      }
    }
  }

  @Override
  public String toString() {
    return "BatcherMetricsBinder{batcher=" + batcher.name() + ", tags=" + tags + ", percentiles="
        + percentiles + ", listener=" + (listener != null) + "}";
  }

  /**
   * Configures a {@link BatcherMetricsBinder}. Each option may be set once: setting it again is an
   * {@link IllegalStateException} naming the earlier value. Not thread-safe.
   */
  public static final class Builder {
    private final Batcher<?> batcher;
    private @Nullable BatcherMetricsListener listener;
    private boolean percentiles;
    private @Nullable Tags tags;

    private Builder(Batcher<?> batcher) {
      this.batcher = batcher;
    }

    /**
     * Sets the listener registered on the batcher's builder, whose events give {@code
     * batcher.batch.size} and {@code batcher.sink.duration}. Default none: those two meters are
     * not registered.
     *
     * @param listener the listener given to the batcher's builder
     * @return this builder
     * @throws NullPointerException if {@code listener} is null
     */
    public Builder listener(BatcherMetricsListener listener) {
      requireNonNull(listener, "listener");
      if (this.listener != null) {
        throw new IllegalStateException("listener was already set to " + this.listener);
      }
      this.listener = listener;
      return this;
    }

    /**
     * Publishes percentiles (0.5, 0.9, 0.99, 0.999): the {@code batcher.latency.percentile}
     * gauges, read from the batcher's histogram, and the percentiles of the listener's {@code
     * batcher.batch.size} and {@code batcher.sink.duration}, computed by Micrometer. Default off:
     * they cost a few meters (and the listener's a little memory and time per sink call).
     *
     * @return this builder
     * @throws IllegalStateException if already called
     */
    public Builder percentiles() {
      if (percentiles) {
        throw new IllegalStateException("percentiles was already set");
      }
      percentiles = true;
      return this;
    }

    /**
     * Adds {@code tags} to every meter, beside {@code name} (an application or tenant tag). Default
     * none. Registry-wide tags belong in the registry's common tags instead.
     *
     * @param tags the tags added to every meter
     * @return this builder
     * @throws NullPointerException if {@code tags} is null
     * @throws IllegalArgumentException if a tag's key is {@code name}, which the batcher's name
     *     fills
     */
    public Builder tags(Iterable<Tag> tags) {
      requireNonNull(tags, "tags");
      if (this.tags != null) {
        throw new IllegalStateException("tags was already set to " + this.tags);
      }
      Tags t = Tags.of(tags);
      for (Tag tag : t) {
        if (tag.getKey().equals("name")) {
          throw new IllegalArgumentException(
              "tags must not have the key 'name', which holds the batcher's name: " + tag);
        }
      }
      this.tags = t;
      return this;
    }

    /**
     * Builds the binder.
     *
     * @return the binder; it registers nothing until {@link #bindTo} is called
     */
    public BatcherMetricsBinder build() {
      return new BatcherMetricsBinder(this);
    }
  }
}
