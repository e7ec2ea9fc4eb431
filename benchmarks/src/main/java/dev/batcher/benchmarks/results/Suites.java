package dev.batcher.benchmarks.results;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * What the reports know about the core suites: the benchmark names, the libraries and the order
 * they are shown in, and the look-ups of a throughput case in a run.
 */
final class Suites {
  static final String THROUGHPUT = "CoreThroughputBenchmark.submitToCompletion";
  static final String LATENCY = "LatencyBenchmark.enqueueToCompletion";
  /** The {@code library} parameter's value for ours. */
  static final String OURS = "batcher";
  static final List<String> LIBRARY_ORDER = List.of("batcher", "abq", "gax", "reactor", "otel");
  static final Map<String, String> LIBRARY_NAMES = Map.of(
      "batcher", "batcher (ours)",
      "abq", "hand-written ArrayBlockingQueue",
      "gax", "gax-java BatcherImpl",
      "reactor", "Reactor bufferTimeout",
      "otel", "OpenTelemetry BatchSpanProcessor");

  private Suites() {}

  /** The {@code library} values of these records: the known ones in order, then the others. */
  static List<String> libraries(Collection<JmhRecord> records) {
    Set<String> present = records.stream().map(x -> x.param("library"))
        .collect(Collectors.toSet());
    List<String> out = new ArrayList<>();
    LIBRARY_ORDER.stream().filter(present::contains).forEach(out::add);
    present.stream().filter(l -> !LIBRARY_ORDER.contains(l)).sorted().forEach(out::add);
    return out;
  }

  /** Items delivered per second: the {@code delivered} counter, NaN if there is none. */
  static double deliveredOf(JmhRecord x) {
    return x.secondary().getOrDefault("delivered", Double.NaN);
  }

  /** Delivered items/s of one throughput case with natural batching, NaN if it did not run. */
  static double delivered(Run r, String lib, int producers, String batch, String threads) {
    return r.of(THROUGHPUT).stream()
        .filter(x -> x.param("library").equals(lib)
            && x.param("producers").equals(Integer.toString(producers))
            && x.param("batchSize").equals(batch)
            && x.param("producerThreads").equals(threads)
            && x.param("maxDelayMs").equals("0"))
        .mapToDouble(Suites::deliveredOf).findFirst().orElse(Double.NaN);
  }

  /** The batch sizes of the throughput cases in these runs, smallest first. */
  static Set<String> batchSizes(List<Run> runs) {
    Set<Integer> s = new TreeSet<>();
    runs.forEach(r -> r.of(THROUGHPUT).forEach(x -> s.add(Integer.parseInt(x.param("batchSize")))));
    return s.stream().map(String::valueOf).collect(Collectors.toCollection(LinkedHashSet::new));
  }

  /** The producer counts of the throughput cases in these runs, smallest first. */
  static List<Integer> producerCounts(List<Run> runs) {
    Set<Integer> s = new TreeSet<>();
    runs.forEach(r -> r.of(THROUGHPUT).forEach(x -> s.add(Integer.parseInt(x.param("producers")))));
    return new ArrayList<>(s);
  }
}
