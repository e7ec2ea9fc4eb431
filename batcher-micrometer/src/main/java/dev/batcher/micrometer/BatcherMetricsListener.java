package dev.batcher.micrometer;

import dev.batcher.BatchEvent;
import dev.batcher.Batcher;
import dev.batcher.BatcherBuilder;
import dev.batcher.BatcherListener;
import dev.batcher.ItemLatencies;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The events of one batcher, recorded as Micrometer meters: register it on the batcher's
 * {@linkplain BatcherBuilder#listener builder}, then hand it to the {@link BatcherMetricsBinder}
 * of the built batcher, which creates its meters when it binds to a registry:
 *
 * <ul>
 *   <li>{@code batcher.latency} (timer): each item's enqueue-to-completion time, from {@link
 *       #onItemsCompleted};
 *   <li>{@code batcher.batch.size} (distribution summary): the items in each sink call;
 *   <li>{@code batcher.sink.duration} (timer): how long each sink call took.
 * </ul>
 *
 * <p>These need the events: the {@linkplain Batcher#metrics() snapshot} has no sink call times,
 * and Micrometer builds a timer or a distribution summary only from recorded values. {@code
 * batcher.latency} counts what the snapshot's {@code latency()} counts (every item that ended,
 * whatever its outcome; items merged by coalescing share one value); the two others count the sink
 * calls that returned: a call abandoned at its delivery timeout sends no event, so {@code
 * batcher.flushes}, read from the snapshot, also counts those. Events that come before the binder
 * binds (items submitted before {@code bindTo}) are not recorded: bind before submitting. The
 * batcher delivers the events before it completes the items' futures, so once a future (or a
 * {@code flush()}) has completed, these meters hold its items.
 *
 * <p>One listener serves one batcher, possibly bound to several registries (it records into each).
 * Thread-safe: the batcher calls {@link #onBatch} and {@link #onItemsCompleted} from its threads,
 * binders attach from any thread. Recording costs one timer update per item and two meter updates
 * per sink call, per registry. To combine it with a listener of your own (a builder takes one),
 * call this one's {@link #onBatch} and {@link #onItemsCompleted} from yours.
 */
public final class BatcherMetricsListener implements BatcherListener<Object> {

  /** The meters of one registry; the batcher's threads read the array without locking. */
  private record Recorder(DistributionSummary batchSize, Timer sinkDuration, Timer latency) {}

  private static final Recorder[] NONE = new Recorder[0];

  /**
   * Replaced, never changed, under the lock: a worker reads one consistent array per event. The
   * volatile read publishes the meters a binder created on another thread.
   */
  private volatile Recorder[] recorders = NONE;

  /**
   * The batcher whose binder attached first; a listener serves one batcher. Weak: the listener
   * lives in the batcher's own configuration, which its worker threads reach, so a strong
   * reference would keep a batcher nobody closed from ever being collected. Guarded by this.
   */
  private @Nullable WeakReference<Batcher<?>> owner;
  /** The owner's name, for messages after it is gone. Guarded by this. */
  private @Nullable String ownerName;

  /** Creates a listener that records nothing until a binder attaches it to a registry. */
  public BatcherMetricsListener() {}

  /** Records the sink call's size and duration in every registry this listener is bound to. */
  @Override
  public void onBatch(BatchEvent event) {
    for (Recorder r : recorders) {
      r.batchSize().record(event.size());
      r.sinkDuration().record(event.sinkNanos(), TimeUnit.NANOSECONDS);
    }
  }

  /** Records each item's latency in every registry this listener is bound to. */
  @Override
  public void onItemsCompleted(ItemLatencies latencies) {
    for (Recorder r : recorders) {
      Timer latency = r.latency();
      for (int i = 0, n = latencies.count(); i < n; i++) {
        latency.record(latencies.nanos(i), TimeUnit.NANOSECONDS);
      }
    }
  }

  /**
   * Creates this listener's meters in {@code registry} for {@code batcher} and starts recording
   * into them; returns them, for the binder to remove.
   *
   * @param percentiles whether to publish {@link BatcherMetricsBinder#PERCENTILES}
   * @param histogram whether to publish a percentile histogram
   * @throws IllegalStateException if the listener was attached for another batcher
   */
  synchronized List<Meter> attach(Batcher<?> batcher, MeterRegistry registry, Tags tags,
      boolean percentiles, boolean histogram) {
    Batcher<?> current = owner == null ? null : owner.get();
    if (owner != null && current != batcher) {
      throw new IllegalStateException("the listener already records batcher '" + ownerName
          + "', not '" + batcher.name() + "': give each batcher its own listener");
    }
    if (owner == null) {
      owner = new WeakReference<>(batcher);
      ownerName = batcher.name();
    }
    Timer.Builder latency = Timer.builder("batcher.latency")
        .description("Enqueue-to-completion time of each item that ended, whatever its outcome")
        .tags(tags);
    DistributionSummary.Builder size = DistributionSummary.builder("batcher.batch.size")
        .description("Items per sink call")
        .tags(tags);
    Timer.Builder duration = Timer.builder("batcher.sink.duration")
        .description("Time each sink call took")
        .tags(tags);
    if (percentiles) {
      latency.publishPercentiles(BatcherMetricsBinder.PERCENTILES);
      size.publishPercentiles(BatcherMetricsBinder.PERCENTILES);
      duration.publishPercentiles(BatcherMetricsBinder.PERCENTILES);
    }
    if (histogram) {
      latency.publishPercentileHistogram();
      size.publishPercentileHistogram();
      duration.publishPercentileHistogram();
    }
    List<Meter> meters = new ArrayList<>(3);
    try {
      Timer latencyTimer = latency.register(registry);
      meters.add(latencyTimer);
      DistributionSummary sizes = size.register(registry);
      meters.add(sizes);
      Timer durations = duration.register(registry);
      meters.add(durations);
      Recorder r = new Recorder(sizes, durations, latencyTimer);
      Recorder[] now = recorders;
      Recorder[] next = Arrays.copyOf(now, now.length + 1);
      next[now.length] = r;
      recorders = next;
    } catch (RuntimeException e) { // a registry that refuses one: leave none of them behind
      meters.forEach(registry::remove);
      throw e;
    }
    return meters;
  }

  /**
   * Stops recording into {@code meters} (the ones {@link #attach} returned). By identity: meters
   * of another registry have equal ids.
   */
  synchronized void detach(List<Meter> meters) {
    recorders = Arrays.stream(recorders)
        .filter(r -> meters.stream().noneMatch(m -> m == r.batchSize()))
        .toArray(Recorder[]::new);
  }

  @Override
  public String toString() {
    String name;
    synchronized (this) {
      name = ownerName;
    }
    return "BatcherMetricsListener{" + (name == null ? "unbound" : "batcher=" + name)
        + ", registries=" + recorders.length + "}";
  }
}
