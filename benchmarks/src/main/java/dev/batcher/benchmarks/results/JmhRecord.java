package dev.batcher.benchmarks.results;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;

/**
 * One benchmark result, read from a JMH JSON file ({@code -rf json}) or taken from a {@link
 * RunResult} at the end of a run: the benchmark, its mode ({@code thrpt}, {@code sample},
 * {@code avgt}, {@code ss}; empty if unknown), its parameters, the primary score (with
 * percentiles) and the secondary scores (the counters).
 */
record JmhRecord(
    String benchmark,
    String mode,
    Map<String, String> params,
    double score,
    double scoreError,
    String unit,
    Map<String, Double> percentiles,
    Map<String, Double> secondary,
    String jdkVersion,
    String vmName,
    String vmVersion,
    int forks,
    int warmupIterations,
    String warmupTime,
    int measurementIterations,
    String measurementTime) {

  /**
   * Parameters renamed since results were published, old name to new: {@code LatencyBenchmark}'s
   * {@code lingerMs} is now {@code maxDelayMs}, the builder option's name. JSON written before the
   * rename is read under the new name, so the report reads old and new runs alike.
   */
  static final Map<String, String> RENAMED_PARAMS = Map.of("lingerMs", "maxDelayMs");

  /** The percentiles JMH's JSON gives, as its keys: "50.0", "99.0", "99.9"... */
  private static final double[] PERCENTILES =
      {0.0, 50.0, 90.0, 95.0, 99.0, 99.9, 99.99, 99.999, 99.9999, 100.0};

  /** The simple benchmark name: {@code CoreThroughputBenchmark.submitToCompletion}. */
  String shortName() {
    String[] parts = benchmark.split("\\.");
    return parts.length < 2 ? benchmark
        : parts[parts.length - 2] + "." + parts[parts.length - 1];
  }

  String param(String name) {
    return params.getOrDefault(name, "");
  }

  /** Reads every record of a JMH JSON result file. */
  static List<JmhRecord> read(Path file) throws IOException {
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      JsonElement root = JsonParser.parseReader(r);
      if (!root.isJsonArray()) {
        throw new IOException(file + " is not a JMH JSON result (an array of benchmarks)");
      }
      List<JmhRecord> out = new ArrayList<>();
      for (JsonElement e : root.getAsJsonArray()) {
        out.add(of(e.getAsJsonObject()));
      }
      return out;
    }
  }

  /** The record of one benchmark's result as the runner returns it, keyed as in the JSON. */
  static JmhRecord of(RunResult result) {
    BenchmarkParams p = result.getParams();
    Map<String, String> params = new LinkedHashMap<>();
    for (String key : p.getParamsKeys()) {
      params.put(key, p.getParam(key));
    }
    Result<?> primary = result.getPrimaryResult();
    Map<String, Double> percentiles = new LinkedHashMap<>();
    for (double pct : PERCENTILES) {
      percentiles.put(String.valueOf(pct), primary.getStatistics().getPercentile(pct));
    }
    Map<String, Double> secondary = new LinkedHashMap<>();
    result.getSecondaryResults().forEach((name, r) -> secondary.put(name, r.getScore()));
    return new JmhRecord(
        p.getBenchmark(),
        p.getMode().shortLabel(),
        Collections.unmodifiableMap(params),
        primary.getScore(),
        primary.getScoreError(),
        primary.getScoreUnit(),
        Collections.unmodifiableMap(percentiles),
        Collections.unmodifiableMap(secondary),
        p.getJdkVersion(),
        p.getVmName(),
        p.getVmVersion(),
        p.getForks(),
        p.getWarmup().getCount(),
        p.getWarmup().getTime().toString(),
        p.getMeasurement().getCount(),
        p.getMeasurement().getTime().toString());
  }

  private static JmhRecord of(JsonObject o) {
    Map<String, String> params = new LinkedHashMap<>();
    if (o.has("params")) {
      for (Map.Entry<String, JsonElement> p : o.getAsJsonObject("params").entrySet()) {
        params.put(RENAMED_PARAMS.getOrDefault(p.getKey(), p.getKey()),
            p.getValue().getAsString());
      }
    }
    JsonObject primary = o.getAsJsonObject("primaryMetric");
    Map<String, Double> percentiles = new LinkedHashMap<>();
    if (primary.has("scorePercentiles")) {
      for (Map.Entry<String, JsonElement> p :
          primary.getAsJsonObject("scorePercentiles").entrySet()) {
        percentiles.put(p.getKey(), number(p.getValue()));
      }
    }
    Map<String, Double> secondary = new LinkedHashMap<>();
    if (o.has("secondaryMetrics")) {
      for (Map.Entry<String, JsonElement> s : o.getAsJsonObject("secondaryMetrics").entrySet()) {
        secondary.put(s.getKey(), number(s.getValue().getAsJsonObject().get("score")));
      }
    }
    return new JmhRecord(
        o.get("benchmark").getAsString(),
        text(o, "mode"),
        Collections.unmodifiableMap(params),
        number(primary.get("score")),
        number(primary.get("scoreError")),
        primary.get("scoreUnit").getAsString(),
        Collections.unmodifiableMap(percentiles),
        Collections.unmodifiableMap(secondary),
        text(o, "jdkVersion"),
        text(o, "vmName"),
        text(o, "vmVersion"),
        o.has("forks") ? o.get("forks").getAsInt() : 0,
        o.has("warmupIterations") ? o.get("warmupIterations").getAsInt() : 0,
        text(o, "warmupTime"),
        o.has("measurementIterations") ? o.get("measurementIterations").getAsInt() : 0,
        text(o, "measurementTime"));
  }

  /** JMH writes "NaN" as a string when a score is undefined. */
  private static double number(JsonElement e) {
    if (e == null || e.isJsonNull()) {
      return Double.NaN;
    }
    if (e.isJsonArray()) {
      JsonArray a = e.getAsJsonArray();
      return a.isEmpty() ? Double.NaN : number(a.get(0));
    }
    try {
      return e.getAsDouble();
    } catch (NumberFormatException | UnsupportedOperationException ex) {
      return Double.NaN;
    }
  }

  private static String text(JsonObject o, String key) {
    return o.has(key) && !o.get(key).isJsonNull() ? o.get(key).getAsString() : "";
  }
}
