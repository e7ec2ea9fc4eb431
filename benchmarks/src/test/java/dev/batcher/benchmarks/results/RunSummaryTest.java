package dev.batcher.benchmarks.results;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunSummaryTest {
  private static final LoadAverage QUIET = new LoadAverage(0.20, 0.30, 0.40);
  private static final LoadAverage AFTER = new LoadAverage(1.90, 1.20, 0.70);
  private static final String TP = "dev.batcher.benchmarks.CoreThroughputBenchmark"
      + ".submitToCompletion";
  private static final String LAT = "dev.batcher.benchmarks.LatencyBenchmark.enqueueToCompletion";

  /** A throughput row whose {@code delivered} counter is {@code delivered}. */
  private static JmhRecord thrpt(String library, int producers, double delivered) {
    return record(TP, "thrpt", params("library", library, "producers", "" + producers,
        "batchSize", "512"), delivered * 1.01, "ops/s", Map.of(), Map.of("delivered", delivered));
  }

  private static JmhRecord sample(String library, String load, double p99) {
    return record(LAT, "sample", params("library", library, "load", load), p99 / 10, "us/op",
        Map.of("50.0", p99 / 10, "99.0", p99), Map.of());
  }

  private static JmhRecord record(String benchmark, String mode, Map<String, String> params,
      double score, String unit, Map<String, Double> percentiles, Map<String, Double> secondary) {
    return new JmhRecord(benchmark, mode, params, score, 0, unit, percentiles, secondary, "17",
        "OpenJDK 64-Bit Server VM", "17", 1, 1, "1 s", 1, "1 s");
  }

  private static Map<String, String> params(String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }

  private static final RunConditions MACHINE =
      new RunConditions(2, QUIET, AFTER, RunConditions.QUIET_SAMPLE, 0.03, 0.02);
  private static final String[] MACHINE_LINES = {
      "Machine: 2 cores; other processes used 3% of the CPU time in the 1.5 s before the run, 2%"
          + " during it",
      "  load average (1, 5, 15 min) 0.20 0.30 0.40 before the run, 1.90 1.20 0.70 after (it also"
          + " counts a build just before the run, and the run itself)"};

  private static List<String> summary(List<JmhRecord> records) {
    return RunSummary.lines(records, MACHINE);
  }

  @Test
  void throughput_ratioPerPeerIsGeometricMeanOfDeliveredOverCommonPoints() {
    List<String> lines = summary(List.of(
        thrpt("batcher", 1, 12e6), thrpt("batcher", 2, 8e6), thrpt("batcher", 4, 9e6),
        thrpt("abq", 1, 6e6), thrpt("abq", 2, 8e6), // 2 and 1: geometric mean √2
        thrpt("gax", 2, 2e6))); // one point: 4

    assertThat(lines).containsExactly(
        "Summary: ours (batcher) against each peer; a ratio above 1 means ours is ahead",
        "CoreThroughputBenchmark.submitToCompletion: items delivered per second, ours ÷ peer,",
        "  geometric mean over producers 1, 2, 4; batchSize 512",
        "    abq    1.41×  ours ahead   (2 points: 1.00× to 2.00×)",
        "    gax    4.00×  ours ahead   (1 point)",
        "    not run: reactor, otel",
        MACHINE_LINES[0], MACHINE_LINES[1]);
  }

  @Test
  void throughput_withoutDeliveredCounter_comparesTheScore() {
    JmhRecord ours = record(TP, "thrpt", params("library", "batcher"), 300, "ops/s", Map.of(),
        Map.of());
    JmhRecord abq = record(TP, "thrpt", params("library", "abq"), 400, "ops/s", Map.of(), Map.of());

    assertThat(summary(List.of(ours, abq))).contains(
        "CoreThroughputBenchmark.submitToCompletion: score (ops/s), ours ÷ peer,",
        "  at one point",
        "    abq    0.75×  ours behind  (1 point)");
  }

  @Test
  void latency_ratioIsPeerP99OverOurs_soAboveOneMeansOursWaitsLess() {
    List<String> lines = summary(List.of(
        sample("batcher", "low", 100), sample("batcher", "high", 400),
        sample("otel", "low", 1200), sample("otel", "high", 300), // 12 and 0.75: 3
        sample("abq", "low", 102))); // within 5%: even

    assertThat(lines).contains(
        "LatencyBenchmark.enqueueToCompletion: p99 latency (us/op), peer ÷ ours,",
        "  geometric mean over load low, high",
        "    abq     1.02×  about even   (1 point)",
        "    otel    3.00×  ours ahead   (2 points: 0.75× to 12.00×)",
        "    not run: gax, reactor");
  }

  @Test
  void averageTime_lowerIsBetter() {
    JmhRecord ours = record(LAT, "avgt", params("library", "batcher"), 10, "us/op", Map.of(),
        Map.of());
    JmhRecord gax = record(LAT, "avgt", params("library", "gax"), 5, "us/op", Map.of(), Map.of());

    assertThat(summary(List.of(ours, gax))).contains(
        "LatencyBenchmark.enqueueToCompletion: score (us/op), peer ÷ ours,",
        "    gax    0.50×  ours behind  (1 point)");
  }

  @Test
  void peerWithoutACommonPoint_orWithoutAScore_isNotAveraged() {
    List<String> lines = summary(List.of(
        thrpt("batcher", 1, 10e6), thrpt("abq", 8, 5e6),
        thrpt("batcher", 2, 10e6), thrpt("gax", 2, 0), thrpt("gax", 1, 5e6)));

    assertThat(lines).contains(
        "    abq      n/a  no point with a score for both",
        "    gax    2.00×  ours ahead   (1 point)");
  }

  @Test
  void runWithoutOurs_saysSoAndNamesWhatRan() {
    assertThat(summary(List.of(thrpt("abq", 1, 1e6), thrpt("gax", 1, 1e6)))).contains(
        "CoreThroughputBenchmark.submitToCompletion: batcher did not run (ran: abq, gax), so"
            + " there is no ratio; JMH's table above has the scores");
  }

  @Test
  void runOfOursOnly_saysThereIsNoPeer() {
    assertThat(summary(List.of(thrpt("batcher", 1, 1e6)))).contains(
        "CoreThroughputBenchmark.submitToCompletion: no peer ran, nothing to compare ours with;"
            + " JMH's table above has the scores");
  }

  @Test
  void benchmarksWithoutLibraryParameter_areNamedOnOneLine() {
    JmhRecord write = record("dev.batcher.benchmarks.jdbc.JdbcWriteBenchmark.write", "thrpt",
        params("mode", "batcher"), 1e5, "ops/s", Map.of(), Map.of());
    JmhRecord merged = record("dev.batcher.benchmarks.jdbc.CounterBenchmark.merged", "thrpt",
        params("posts", "100"), 1e5, "ops/s", Map.of(), Map.of());

    assertThat(summary(List.of(thrpt("batcher", 1, 2e6), thrpt("abq", 1, 1e6), write, merged)))
        .contains("    abq    2.00×  ours ahead   (1 point)",
            "  not compared (no library parameter): JdbcWriteBenchmark.write,"
                + " CounterBenchmark.merged");
  }

  @Test
  void noResults_saysSoAndStillGivesTheMachine() {
    assertThat(summary(List.of())).containsExactly(
        "Summary: ours (batcher) against each peer; a ratio above 1 means ours is ahead",
        "  no results to compare (no benchmark ran, or every one failed)",
        MACHINE_LINES[0], MACHINE_LINES[1]);
  }

  @Test
  void severalModes_areComparedEachOnItsOwn() {
    // -bm thrpt,sample: the sample rows' scores are times, the throughput rows' rates
    JmhRecord oursRate = record(TP, "thrpt", params("library", "batcher"), 300, "ops/s", Map.of(),
        Map.of());
    JmhRecord abqRate = record(TP, "thrpt", params("library", "abq"), 100, "ops/s", Map.of(),
        Map.of());
    JmhRecord oursTime = record(TP, "sample", params("library", "batcher"), 2, "us/op",
        Map.of("99.0", 10.0), Map.of());
    JmhRecord abqTime = record(TP, "sample", params("library", "abq"), 1, "us/op",
        Map.of("99.0", 40.0), Map.of());

    assertThat(summary(List.of(oursRate, oursTime, abqRate, abqTime))).containsSubsequence(
        "CoreThroughputBenchmark.submitToCompletion [thrpt]: score (ops/s), ours ÷ peer,",
        "  at one point",
        "    abq    3.00×  ours ahead   (1 point)",
        "CoreThroughputBenchmark.submitToCompletion [sample]: p99 latency (us/op), peer ÷ ours,",
        "  at one point",
        "    abq    4.00×  ours ahead   (1 point)");
  }

  @Test
  void jdbcRun_saysTheDatabaseCountsAsOther_andDoesNotWarnOfIt() {
    JmhRecord write = record("dev.batcher.benchmarks.jdbc.JdbcWriteBenchmark.write", "thrpt",
        params("mode", "batcher"), 1e5, "ops/s", Map.of(), Map.of());
    RunConditions machine =
        new RunConditions(2, QUIET, AFTER, RunConditions.QUIET_SAMPLE, 0.03, 0.60);

    assertThat(RunSummary.lines(List.of(write), machine))
        .contains("Machine: 2 cores; other processes used 3% of the CPU time in the 1.5 s before"
            + " the run, 60% during it (the database server counts as other)")
        .noneMatch(l -> l.startsWith("WARNING"));
  }

  @Test
  void publishedFixture_throughputAndLatency() throws Exception {
    Path dir = Paths.get(RunSummaryTest.class.getResource("/results/run1/throughput.json").toURI())
        .getParent();
    List<JmhRecord> records = new ArrayList<>(JmhRecord.read(dir.resolve("throughput.json")));
    records.addAll(JmhRecord.read(dir.resolve("latency.json")));

    assertThat(summary(records)).contains(
        "  geometric mean over producers 1, 2; batchSize 512, maxDelayMs 0, producerThreads"
            + " platform",
        // 9/8 and 12/10
        "    abq     1.16×  ours ahead   (2 points: 1.13× to 1.20×)",
        "    gax     7.35×  ours ahead   (2 points: 6.00× to 9.00×)",
        // otel lost 5 k/s: only what it delivered counts
        "    otel    1.09×  ours ahead   (1 point)",
        "    not run: reactor",
        "  geometric mean over maxDelayMs 0, 5; batchSize 512, highRate 1000000, load low",
        // gax p99 1.1 ms, ours 250 µs
        "    gax    4.40×  ours ahead   (1 point)");
  }
}
