package dev.batcher.benchmarks.results;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchmarksMainTest {
  /** A machine that answers from a script and never waits. */
  private static final class FakeProbe implements MachineProbe {
    final Deque<CpuTimes> cpu = new ArrayDeque<>();
    final List<Duration> pauses = new ArrayList<>();

    FakeProbe(CpuTimes... readings) {
      cpu.addAll(List.of(readings));
    }

    @Override
    public LoadAverage loadAverage() {
      return new LoadAverage(0.10, 0.20, 0.30);
    }

    @Override
    public Optional<CpuTimes> cpuTimes() {
      return Optional.ofNullable(cpu.poll());
    }

    @Override
    public void pause(Duration duration) {
      pauses.add(duration);
    }
  }

  private static final MachineProbe LOAD = new FakeProbe();

  @Test
  void run_printsJmhsOutputThenTheSummary(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("jmh.txt");
    // A real run, in this JVM and short: two libraries, one producer, one 100 ms iteration.
    // JMH refuses to run while another JMH holds its machine-wide lock: not a concern here.
    String before = System.setProperty("jmh.ignoreLock", "true");
    // others: 10 of 200 ticks in the pause before the run (5%), 100 of 2000 during it (5%)
    FakeProbe probe = new FakeProbe(new CpuTimes(0, 1000, 0), new CpuTimes(10, 1200, 0),
        new CpuTimes(510, 3200, 400));
    int status;
    try {
      status = BenchmarksMain.run(new String[] {"CoreThroughputBenchmark",
          "-p", "library=batcher,abq", "-p", "producers=1", "-f", "0", "-wi", "0", "-i", "1",
          "-r", "100ms", "-o", out.toString()}, probe);
    } finally {
      if (before == null) {
        System.clearProperty("jmh.ignoreLock");
      } else {
        System.setProperty("jmh.ignoreLock", before);
      }
    }

    assertThat(status).isZero();
    assertThat(probe.pauses).containsExactly(Duration.ofMillis(1500));
    int n = Runtime.getRuntime().availableProcessors();
    String cores = n + (n == 1 ? " core" : " cores");
    String text = Files.readString(out, StandardCharsets.UTF_8);
    String table = "CoreThroughputBenchmark.submitToCompletion:delivered";
    String summary = "Summary: ours (batcher) against each peer; a ratio above 1 means ours is"
        + " ahead\n";
    assertThat(text).contains(table, summary);
    assertThat(text.indexOf(summary)).isGreaterThan(text.lastIndexOf(table));
    assertThat(text.substring(text.indexOf(summary)))
        .contains("CoreThroughputBenchmark.submitToCompletion: items delivered per second,"
            + " ours ÷ peer,\n"
            + "  at one point: batchSize 512, maxDelayMs 0, producerThreads platform, producers"
            + " 1\n")
        .containsPattern("\n    abq +\\d+\\.\\d\\d×  (ours ahead|ours behind|about even) +"
            + "\\(1 point\\)\n")
        .contains("    not run: gax, reactor, otel\n")
        .endsWith("Machine: " + cores + "; other processes used 5% of the CPU time in the 1.5 s"
            + " before the run, 5% during it\n"
            + "  load average (1, 5, 15 min) 0.10 0.20 0.30 before the run, 0.10 0.20 0.30 after"
            + " (it also counts a build just before the run, and the run itself)\n");
  }

  @Test
  void list_isJmhsListWithoutSummary(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("list.txt");

    assertThat(BenchmarksMain.run(new String[] {"-l", "-o", out.toString()}, LOAD)).isZero();

    assertThat(Files.readString(out, StandardCharsets.UTF_8))
        .startsWith("Benchmarks: \n")
        .contains("dev.batcher.benchmarks.CoreThroughputBenchmark.submitToCompletion\n")
        .contains("dev.batcher.benchmarks.LatencyBenchmark.enqueueToCompletion\n")
        .doesNotContain("Summary");
  }

  @Test
  void unknownOption_isJmhsErrorAndExitStatus() throws Exception {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream original = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    int status;
    try {
      status = BenchmarksMain.run(new String[] {"-zz"}, LOAD);
    } finally {
      System.setErr(original);
    }

    assertThat(status).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .isEqualTo("Error parsing command line:\n z is not a recognized option\n");
  }

  @Test
  void noBenchmarkNamed_runsTheCoreSuitesOnly() throws Exception {
    assertThat(BenchmarksMain.withDefaultSuites(
        new org.openjdk.jmh.runner.options.CommandLineOptions("-f", "1")).getIncludes())
        .containsExactly("CoreThroughputBenchmark|LatencyBenchmark");
    assertThat(BenchmarksMain.withDefaultSuites(
        new org.openjdk.jmh.runner.options.CommandLineOptions("JdbcWrite")).getIncludes())
        .containsExactly("JdbcWrite");
  }
}
