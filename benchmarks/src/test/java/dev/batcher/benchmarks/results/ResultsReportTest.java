package dev.batcher.benchmarks.results;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResultsReportTest {

  private static Path fixture() throws URISyntaxException {
    return Paths.get(ResultsReportTest.class.getResource("/results/run1/throughput.json").toURI())
        .getParent();
  }

  @Test
  void readsJmhJson_paramsCountersAndPercentiles() throws Exception {
    List<JmhRecord> tp = JmhRecord.read(fixture().resolve("throughput.json"));
    assertThat(tp).hasSize(7);
    JmhRecord ours = tp.get(1);
    assertThat(ours.shortName()).isEqualTo(Suites.THROUGHPUT);
    assertThat(ours.param("producers")).isEqualTo("2");
    assertThat(Suites.deliveredOf(ours)).isEqualTo(12.0e6);

    List<JmhRecord> lat = JmhRecord.read(fixture().resolve("latency.json"));
    assertThat(lat.get(0).percentiles()).containsEntry("99.0", 250.0);
  }

  @Test
  void readsPublishedJson_lingerMsAsMaxDelayMs() throws Exception {
    // The published runs were made when LatencyBenchmark called the parameter lingerMs.
    JmhRecord old = JmhRecord.read(fixture().resolve("latency.json")).get(0);
    assertThat(old.params()).containsEntry("maxDelayMs", "0").doesNotContainKey("lingerMs");
  }

  @Test
  void readsNewJson_maxDelayMsAsIs(@TempDir Path tmp) throws Exception {
    Path json = tmp.resolve("latency.json");
    Files.writeString(json, "[{\"benchmark\": \"dev.batcher.benchmarks.LatencyBenchmark"
        + ".enqueueToCompletion\", \"params\": {\"library\": \"batcher\", \"maxDelayMs\": \"5\"},"
        + " \"primaryMetric\": {\"score\": 1.0, \"scoreError\": 0.1, \"scoreUnit\": \"us/op\"}}]",
        StandardCharsets.UTF_8);
    JmhRecord x = JmhRecord.read(json).get(0);
    assertThat(x.params()).containsExactly(entry("library", "batcher"), entry("maxDelayMs", "5"));
  }

  @Test
  void render_writesTargetsRatiosLossesAndLatency() throws Exception {
    Run run = Run.read(fixture(), "run 1");
    List<Chart> charts = new java.util.ArrayList<>();

    String md = ResultsReport.render(List.of(run, run), "## Notes\n\nhand-written", "img", charts);

    assertThat(md).contains("## How to run")
        .contains("mvn -B -q -pl benchmarks -am package -DskipTests && java -jar"
            + " benchmarks/target/benchmarks.jar\n")
        .contains("| machine | Test CPU, 2 cores | Test CPU, 2 cores |")
        .contains("java -jar benchmarks/target/benchmarks.jar CoreThroughput -rf json")
        // ours 12 M at 2 producers: the 10 M target is met in both runs
        .contains("| ours ≥ 10 M items/s with 2 producers | 12.00 M | 12.00 M | yes |")
        // ours / gax: 9 at 1 producer, 6 at 2: the smallest is 6
        .contains("| ours ≥ 2 × gax BatcherImpl (smallest ratio over 1–8 producers) | 6.00× |")
        .contains("| hand-written ArrayBlockingQueue | 1.13× (1.13×) | 1.20× (1.20×) |")
        .contains("run 1, otel, 2 producers: 5 k lost/s")
        .contains("| ours: p99 enqueue-to-completion ≤ 1 ms at about 1,000 items/s, natural"
            + " batching | 250 µs | 250 µs | yes |")
        .contains("| library | maxDelay | load | p50 | p99 | p99.9 |")
        .contains("| batcher (ours) | 5 ms | low | 5.20 ms (5.20 ms) | 5.60 ms (5.60 ms) |")
        .contains("| (for comparison) ours with a 5 ms maxDelay, same load: p99 |")
        // gax cannot run with a zero delay: its row says what it ran with
        .contains("| gax-java BatcherImpl | 1 ms (for 0) | low | 600 µs (600 µs) |")
        .contains("| throughput (delivered/s) | 7 | 0% |")
        .endsWith("hand-written\n");
    assertThat(charts).extracting(Chart::file)
        .containsExactly("throughput-platform-batch512.png", "latency-low.png");
  }

  @Test
  void main_writesMarkdownAndPngCharts(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("docs/results.md");
    ResultsReport.main(new String[] {
        "--run", fixture().toString(), "--out", out.toString(),
        "--img", tmp.resolve("docs/img").toString()});

    assertThat(Files.readString(out, StandardCharsets.UTF_8))
        .contains("![Delivered items/s, batch size 512, platform producers (run 1)]"
            + "(img/throughput-platform-batch512.png)");
    byte[] png = Files.readAllBytes(tmp.resolve("docs/img/latency-low.png"));
    assertThat(png).startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
  }

  @Test
  void main_withoutRuns_isRejected() {
    assertThatThrownBy(() -> ResultsReport.main(new String[0]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("give at least one --run DIR of JMH JSON results");
  }

  @Test
  void runDirectoryWithoutJson_isRejected(@TempDir Path tmp) {
    assertThatThrownBy(() -> Run.read(tmp, "run 1"))
        .isInstanceOf(IOException.class)
        .hasMessage("no JMH JSON results in " + tmp);
  }
}
