package dev.batcher.micrometer;

import io.micrometer.core.instrument.Measurement;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Every measurement of one batcher's meters in a registry, keyed {@code name{tags} statistic}
 * (without the {@code name} tag), so that a test compares all of them with one assertion and a
 * meter that should not exist, or is missing, shows in the difference.
 */
final class MeterReadings {
  private final Map<String, Double> values = new TreeMap<>();

  private MeterReadings() {}

  /** Reads every meter tagged {@code name=batcher} in {@code registry}. */
  static Map<String, Double> read(MeterRegistry registry, String batcher) {
    Map<String, Double> m = new TreeMap<>();
    for (Meter meter : registry.getMeters()) {
      if (!batcher.equals(meter.getId().getTag("name"))) {
        continue;
      }
      String tags = meter.getId().getTags().stream()
          .filter(t -> !t.getKey().equals("name"))
          .map(t -> t.getKey() + "=" + t.getValue())
          .collect(Collectors.joining(",", "{", "}"));
      String key = meter.getId().getName() + (tags.equals("{}") ? "" : tags);
      for (Measurement x : meter.measure()) {
        m.put(key + " " + x.getStatistic().name().toLowerCase(Locale.ROOT), x.getValue());
      }
    }
    return m;
  }

  /**
   * The readings of a batcher bound with a listener and without percentiles that has seen
   * nothing: every meter, at zero. Tests set the values that their scenario changes.
   */
  static MeterReadings zeros() {
    MeterReadings r = new MeterReadings();
    r.set("batcher.items.submitted count", 0);
    for (String outcome : new String[] {"dead_lettered", "dropped", "failed", "refused",
        "succeeded"}) {
      r.set("batcher.items{outcome=" + outcome + "} count", 0);
    }
    r.set("batcher.items.dead.lettered count", 0);
    for (String reason : new String[] {"queue_full", "block_timeout", "interrupted", "closed",
        "too_heavy", "merge_failed", "weigher_failed"}) {
      r.set("batcher.items.refused{reason=" + reason + "} count", 0);
    }
    for (String reason : new String[] {"evicted", "delivery_timeout", "close_timeout"}) {
      r.set("batcher.items.dropped{reason=" + reason + "} count", 0);
    }
    for (String cause : new String[] {"size", "weight", "delay", "flush", "close", "retry"}) {
      r.set("batcher.flushes{cause=" + cause + "} count", 0);
    }
    r.set("batcher.retries count", 0);
    r.set("batcher.bisections count", 0);
    r.set("batcher.items.pending value", 0);
    r.set("batcher.queue.depth value", 0);
    r.set("batcher.batches.in.flight value", 0);
    r.set("batcher.sink.calls.abandoned value", 0);
    r.set("batcher.latency count", 0);
    r.set("batcher.latency total_time", 0);
    r.set("batcher.latency max", 0);
    r.set("batcher.batch.size count", 0);
    r.set("batcher.batch.size total", 0);
    r.set("batcher.batch.size max", 0);
    r.set("batcher.sink.duration count", 0);
    r.set("batcher.sink.duration total_time", 0);
    r.set("batcher.sink.duration max", 0);
    return r;
  }

  /** Sets one expected value, adding the key if it is not among the zeros. */
  MeterReadings set(String key, double value) {
    values.put(key, value);
    return this;
  }

  /** Removes the expected readings whose key starts with {@code prefix}. */
  MeterReadings without(String prefix) {
    values.keySet().removeIf(k -> k.startsWith(prefix));
    return this;
  }

  Map<String, Double> values() {
    return new TreeMap<>(values);
  }
}
