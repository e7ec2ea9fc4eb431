package dev.batcher.micrometer;

import static java.util.Objects.requireNonNull;

import dev.batcher.Batcher;
import dev.batcher.BatcherMetrics;
import dev.batcher.Distribution;
import dev.batcher.DropReason;
import dev.batcher.FlushCause;
import dev.batcher.RefusalReason;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.noop.NoopMeter;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;

/**
 * Binds a {@link Batcher}'s metrics to a Micrometer {@link MeterRegistry}: counters and gauges that
 * read the batcher's {@linkplain Batcher#metrics() snapshot} whenever the registry asks, and, with
 * a {@link BatcherMetricsListener} registered on the batcher's builder, timers and a distribution
 * summary recorded from its events. Every meter is tagged {@code name=<the batcher's name>}, plus
 * the {@linkplain Builder#tags extra tags}.
 *
 * <pre>{@code
 * BatcherMetricsListener events = new BatcherMetricsListener();
 * Batcher<Like> likes = Batcher.builder(sink).name("likes").listener(events).build();
 * BatcherMetricsBinder metrics = BatcherMetricsBinder.builder(likes).listener(events).build();
 * metrics.bindTo(registry);
 * ...
 * likes.close();
 * metrics.close(); // removes the meters
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
 *   <tr><td>{@code batcher.items.dead.lettered}</td><td>function counter</td><td></td>
 *       <td>items the sink failed for good that the dead-letter handler took: the {@code
 *       dead_lettered} outcome of {@code batcher.items}, as a meter of its own</td></tr>
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
 *   <tr><td>{@code batcher.batch.size.mean}, {@code batcher.batch.size.max}</td><td>gauge</td>
 *       <td></td><td>only without a listener: the mean and the largest number of items per sink
 *       call since the batcher started, from the snapshot's {@link BatcherMetrics#batchSize()
 *       batchSize()}</td></tr>
 *   <tr><td>{@code batcher.batch.size.percentile}</td><td>gauge</td><td>{@code phi}: {@code
 *       0.5}, {@code 0.9}, {@code 0.99}, {@code 0.999}</td><td>only without a listener: the
 *       snapshot's percentiles of items per sink call since the batcher started</td></tr>
 *   <tr><td>{@code batcher.latency}</td><td>timer</td><td></td>
 *       <td>only with a {@linkplain Builder#listener listener}: each item's enqueue-to-completion
 *       time, whatever its outcome</td></tr>
 *   <tr><td>{@code batcher.batch.size}</td><td>distribution summary</td><td></td>
 *       <td>only with a {@linkplain Builder#listener listener}: items per sink call</td></tr>
 *   <tr><td>{@code batcher.sink.duration}</td><td>timer</td><td></td>
 *       <td>only with a {@linkplain Builder#listener listener}: time each sink call took</td></tr>
 * </table>
 *
 * <p>Items count as {@link BatcherMetrics} counts them: an item merged by coalescing counts once
 * per submit in the counters, and shares its entry's one value in {@code batcher.latency}, whose
 * count and total match the snapshot's {@code latency()} for the items that ended after binding.
 * The three listener meters are ordinary Micrometer meters: their max and, with {@link
 * Builder#percentiles()}, their percentiles decay over Micrometer's rolling window, {@link
 * Builder#percentileHistogram()} adds histogram buckets, and a {@code MeterFilter} may configure
 * them further (service level objectives, other percentiles, the window).
 *
 * <h2>Lifecycle</h2>
 * Each meter reads a fresh snapshot when the registry asks for its value. A closed batcher's meters
 * keep reading its final values: counters their totals, gauges zero. Micrometer holds the batcher
 * weakly: once it is garbage-collected, its counters keep their last values and its gauges read
 * NaN. {@link #close()} removes this binder's meters from every registry it bound them to.
 *
 * <p>Binding twice to the same registry does nothing the second time, as long as the registry
 * still holds the meters (after {@code registry.clear()} it binds them again). Binding a batcher to
 * a registry that already holds a {@code batcher.items.submitted} with exactly its name and tags
 * (after the registry's common tags and filters) is refused: Micrometer would keep the first
 * meters, which read the first batcher. The registry itself is asked, so meters removed by any
 * means free the name. For a {@link CompositeMeterRegistry}, each registry in it is asked too.
 * Thread-safe.
 */
public final class BatcherMetricsBinder implements MeterBinder, AutoCloseable {

  /** The percentiles that {@link Builder#percentiles} publishes. */
  static final double[] PERCENTILES = {0.5, 0.9, 0.99, 0.999};

  /** The meter every binder registers first: the one whose presence says a name is taken. */
  private static final String CLAIM = "batcher.items.submitted";
  /**
   * Serializes the claims of all binders, so that two binding the same name at once cannot both
   * find it free. Binding is rare; nothing else takes this lock.
   */
  private static final Object CLAIMS = new Object();

  private final Batcher<?> batcher;
  private final @Nullable BatcherMetricsListener listener;
  private final boolean percentiles;
  private final boolean histogram;
  private final Tags tags;
  /** The meters registered in each registry, the claim first, for {@link #close()}. Guarded by this. */
  private final Map<MeterRegistry, List<Meter>> bound = new IdentityHashMap<>();

  private BatcherMetricsBinder(Builder builder) {
    this.batcher = builder.batcher;
    this.listener = builder.listener;
    this.percentiles = builder.percentiles;
    this.histogram = builder.histogram;
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
   * {@code batcher.latency}, {@code batcher.batch.size} or {@code batcher.sink.duration}; the
   * batch sizes are the snapshot's, as the gauges {@code batcher.batch.size.mean}, {@code .max}
   * and {@code .percentile}), no percentiles, no extra tags.
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
   * Does nothing if this binder already bound them there and the registry still holds them.
   *
   * @throws NullPointerException if {@code registry} is null
   * @throws IllegalStateException if {@code registry}, or a registry in it if it is a {@link
   *     CompositeMeterRegistry}, already holds the meters of a batcher with the same name and
   *     tags, or if the listener records another batcher
   */
  @Override
  public synchronized void bindTo(MeterRegistry registry) {
    requireNonNull(registry, "registry");
    List<Meter> earlier = bound.get(registry);
    if (earlier != null) {
      // Still bound; or bound to a registry whose filter denies the claim (a no-op meter that no
      // registry holds, so whether the registry lost the others cannot be told: keep them).
      if (holds(registry, earlier.get(0)) || earlier.get(0) instanceof NoopMeter) {
        return;
      }
      // The registry lost them (cleared, or removed one by one): forget them and bind afresh.
      // Only stop recording: the ids may belong to another binder's meters by now.
      if (listener != null) {
        listener.detach(bound.remove(registry));
      }
      bound.remove(registry);
    }
    List<Meter> meters = new ArrayList<>();
    synchronized (CLAIMS) {
      claim(registry, meters);
    }
    try {
      bindCounters(registry, meters);
      bindGauges(registry, meters);
      if (listener != null) {
        meters.addAll(listener.attach(batcher, registry, tags, percentiles, histogram));
      }
    } catch (RuntimeException e) { // a registry that refuses a meter: leave nothing half-bound
      unbind(registry, meters);
      throw e;
    }
    bound.put(registry, meters);
  }

  /**
   * Registers the claim meter in {@code registry}, unless a meter with its id is there already:
   * Micrometer would hand back that one, which reads another batcher (or is not ours at all). The
   * registry's own filters and common tags make the id, so unless a meter with exactly these tags
   * is there, the registry is asked by registering and comparing identities, not by comparing
   * tags (a meter with more tags may have the registry's common tags, or be another batcher's with
   * extra ones). The registries inside a composite are asked the same way first (and the meter
   * removed again), since the composite would quietly adopt a child's meter with the same id.
   */
  private void claim(MeterRegistry registry, List<Meter> meters) {
    if (registry instanceof CompositeMeterRegistry composite) {
      for (MeterRegistry child : descendants(composite, new ArrayList<>())) {
        Meter probe = claimIn(child, "a registry in the composite");
        child.remove(probe); // just created: ours to remove
      }
    }
    meters.add(claimIn(registry, "the registry"));
  }

  /** Registers the claim meter in {@code registry}; refuses if it was there already. */
  private Meter claimIn(MeterRegistry registry, String which) {
    List<Meter> before = new ArrayList<>(registry.find(CLAIM).meters());
    for (Meter m : before) {
      // The plain case, without registering (Micrometer logs a warning for a repeated one).
      if (Tags.of(m.getId().getTags()).equals(tags)) {
        throw taken(which);
      }
    }
    // Otherwise only registering tells: the registry's filters and common tags make the id.
    Meter claim = bindClaim(registry);
    for (Meter m : before) {
      if (m == claim) {
        throw taken(which);
      }
    }
    return claim;
  }

  private IllegalStateException taken(String which) {
    return new IllegalStateException(which + " already holds the meters of a batcher named '"
        + batcher.name() + "' with tags " + tags
        + ": give each batcher a distinct name, or close the earlier binder");
  }

  /** The non-composite registries inside {@code composite}, at any depth. */
  private static List<MeterRegistry> descendants(
      CompositeMeterRegistry composite, List<MeterRegistry> into) {
    for (MeterRegistry child : composite.getRegistries()) {
      if (child instanceof CompositeMeterRegistry inner) {
        descendants(inner, into);
      } else {
        into.add(child);
      }
    }
    return into;
  }

  /** Whether {@code registry} still holds {@code meter} itself. */
  private static boolean holds(MeterRegistry registry, Meter meter) {
    for (Meter m : registry.find(meter.getId().getName()).meters()) {
      if (m == meter) {
        return true;
      }
    }
    return false;
  }

  private Meter bindClaim(MeterRegistry registry) {
    return counter(registry, CLAIM, Tags.empty(),
        "Items passed to submit or offer, refused ones included", BatcherMetrics::submitted);
  }

  private void bindCounters(MeterRegistry registry, List<Meter> meters) {
    // One description per name: Prometheus shows one HELP line for all of a name's tags.
    meters.add(items(registry, "succeeded", BatcherMetrics::succeeded));
    meters.add(items(registry, "dead_lettered", BatcherMetrics::deadLettered));
    meters.add(items(registry, "failed", BatcherMetrics::failed));
    meters.add(items(registry, "refused", BatcherMetrics::totalRefused));
    meters.add(items(registry, "dropped", BatcherMetrics::totalDropped));
    meters.add(counter(registry, "batcher.items.dead.lettered", Tags.empty(),
        "Items the sink failed for good that the dead-letter handler took",
        BatcherMetrics::deadLettered));
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
    if (listener == null) { // with one, batcher.batch.size is a distribution summary instead
      meters.add(gauge(registry, "batcher.batch.size.mean", Tags.empty(),
          "Mean items per sink call, since the batcher started", m -> m.batchSize().mean()));
      meters.add(gauge(registry, "batcher.batch.size.max", Tags.empty(),
          "Most items in a sink call, since the batcher started", m -> m.batchSize().max()));
      for (double phi : PERCENTILES) {
        meters.add(gauge(registry, "batcher.batch.size.percentile",
            Tags.of("phi", Double.toString(phi)),
            "Percentiles of items per sink call, since the batcher started",
            m -> percentile(m.batchSize(), phi)));
      }
    }
  }

  /** The snapshot's percentile {@code phi}, one of {@link #PERCENTILES}. */
  private static double percentile(Distribution d, double phi) {
    if (phi == 0.5) {
      return d.p50();
    } else if (phi == 0.9) {
      return d.p90();
    } else if (phi == 0.99) {
      return d.p99();
    }
    return d.p999();
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
    return gauge(registry, name, Tags.empty(), description, f);
  }

  private Meter gauge(MeterRegistry registry, String name, Tags extra, String description,
      ToDoubleFunction<BatcherMetrics> f) {
    return Gauge.builder(name, batcher, b -> f.applyAsDouble(b.metrics()))
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

  /**
   * Stops recording into {@code meters} and removes those the registry still holds: by identity,
   * since {@code remove} goes by id, and after a {@code clear()} the id may be another's.
   */
  private void unbind(MeterRegistry registry, List<Meter> meters) {
    if (listener != null) {
      listener.detach(meters);
    }
    for (Meter m : meters) {
      if (holds(registry, m)) {
        registry.remove(m);
      }
    }
  }

  @Override
  public String toString() {
    return "BatcherMetricsBinder{batcher=" + batcher.name() + ", tags=" + tags + ", percentiles="
        + percentiles + ", percentileHistogram=" + histogram + ", listener=" + (listener != null)
        + "}";
  }

  /**
   * Configures a {@link BatcherMetricsBinder}. Each option may be set once: setting it again is an
   * {@link IllegalStateException} naming the earlier value. Not thread-safe.
   */
  public static final class Builder {
    private final Batcher<?> batcher;
    private @Nullable BatcherMetricsListener listener;
    private boolean percentiles;
    private boolean histogram;
    private @Nullable Tags tags;

    private Builder(Batcher<?> batcher) {
      this.batcher = batcher;
    }

    /**
     * Sets the listener registered on the batcher's builder, whose events give {@code
     * batcher.latency}, {@code batcher.batch.size} and {@code batcher.sink.duration}. Default none:
     * those three meters are not registered.
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
     * Publishes percentiles (0.5, 0.9, 0.99, 0.999) of the listener's meters, {@code
     * batcher.latency}, {@code batcher.batch.size} and {@code batcher.sink.duration}, computed by
     * Micrometer over its rolling window (in Prometheus, {@code quantile} series). Needs a {@link
     * #listener}. Default off: percentiles cost memory and time per recorded value, and cannot be
     * aggregated across instances (see {@link #percentileHistogram()} for that).
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
     * Publishes a percentile histogram of the listener's meters (in Prometheus, {@code _bucket}
     * series, which a query aggregates across instances with {@code histogram_quantile}). Needs a
     * {@link #listener}. Default off: a few dozen series per meter.
     *
     * @return this builder
     * @throws IllegalStateException if already called
     */
    public Builder percentileHistogram() {
      if (histogram) {
        throw new IllegalStateException("percentileHistogram was already set");
      }
      histogram = true;
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
      int i = 0;
      for (Tag tag : tags) {
        requireNonNull(tag, "tags[" + i++ + "]");
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
     * @throws IllegalStateException if {@link #percentiles()} or {@link #percentileHistogram()} is
     *     set without a {@link #listener}
     */
    public BatcherMetricsBinder build() {
      if (listener == null && (percentiles || histogram)) {
        throw new IllegalStateException((percentiles ? "percentiles" : "percentileHistogram")
            + " needs a listener: it applies to the meters the listener's events feed");
      }
      return new BatcherMetricsBinder(this);
    }
  }
}
