package dev.batcher.benchmarks.results;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class RunConditionsTest {
  private static final Duration SAMPLE = RunConditions.QUIET_SAMPLE;
  /** The published runs: the build before the run left the load average high. */
  private static final LoadAverage AFTER_A_BUILD = new LoadAverage(1.93, 2.34, 2.29);
  private static final LoadAverage AFTER_THE_RUN = new LoadAverage(2.31, 2.03, 2.18);
  private static final String ADVICE = "  they competed for the cores, so these numbers are noisy;"
      + " rerun on a quiet machine before trusting a small difference";

  @Test
  void highLoadAverageFromABuildJustBefore_butQuietCpu_doesNotWarn() {
    List<String> lines = new RunConditions(2, AFTER_A_BUILD, AFTER_THE_RUN, SAMPLE, 0.04, 0.01)
        .lines(false);

    assertThat(lines).containsExactly(
        "Machine: 2 cores; other processes used 4% of the CPU time in the 1.5 s before the run, 1%"
            + " during it",
        "  load average (1, 5, 15 min) 1.93 2.34 2.29 before the run, 2.31 2.03 2.18 after (it"
            + " also counts a build just before the run, and the run itself)");
  }

  @Test
  void otherProcessesBusyBeforeTheRun_warns() {
    List<String> lines = new RunConditions(2, AFTER_A_BUILD, AFTER_THE_RUN, SAMPLE, 0.41, 0.02)
        .lines(false);

    assertThat(lines).endsWith(
        "WARNING: other processes were busy when the run started (41% of the CPU time in the"
            + " 1.5 s before it, above 25%):",
        ADVICE);
  }

  @Test
  void otherProcessesBusyDuringTheRun_warns_unlessTheyAreTheDatabase() {
    RunConditions busyDuring = new RunConditions(4, AFTER_A_BUILD, AFTER_THE_RUN, SAMPLE, 0.25,
        0.38);

    assertThat(busyDuring.lines(false)).endsWith(
        "WARNING: other processes used 38% of the CPU time during the run (above 25%):", ADVICE);
    assertThat(busyDuring.lines(true)).noneMatch(l -> l.startsWith("WARNING"));
  }

  @Test
  void busyBeforeAndDuring_givesBothAndTheAdviceOnce() {
    assertThat(new RunConditions(2, AFTER_A_BUILD, AFTER_THE_RUN, SAMPLE, 0.5, 0.5).lines(false))
        .filteredOn(l -> l.startsWith("WARNING") || l.equals(ADVICE)).hasSize(3);
  }

  @Test
  void withoutCpuTimes_theLoadAverageAtTheStartDecides() {
    List<String> busy = new RunConditions(2, AFTER_A_BUILD, AFTER_THE_RUN, SAMPLE, Double.NaN,
        Double.NaN).lines(false);
    // the run itself loads the machine: only the load at the start says whether others did
    List<String> quiet = new RunConditions(4, new LoadAverage(2.0, 1.0, 1.0),
        new LoadAverage(9.0, 5.0, 2.0), SAMPLE, Double.NaN, Double.NaN).lines(false);

    assertThat(busy).containsExactly(
        "Machine: 2 cores; load average (1, 5, 15 min) 1.93 2.34 2.29 before the run, 2.31 2.03"
            + " 2.18 after",
        "WARNING: the machine was busy when the run started (1-minute load average 1.93, above"
            + " 1.00 for 2 cores; no CPU times on this system to tell it from a build that just"
            + " ended):",
        "  other work competed for the cores, so these numbers are noisy; rerun on a quiet machine"
            + " before trusting a small difference");
    assertThat(quiet).noneMatch(l -> l.startsWith("WARNING"));
  }

  @Test
  void loadAverageFromTheJvmOnly_orNone() {
    assertThat(new RunConditions(8, new LoadAverage(5.0, Double.NaN, Double.NaN),
        LoadAverage.UNKNOWN, SAMPLE, Double.NaN, Double.NaN).lines(false)).startsWith(
        "Machine: 8 cores; load average (1, 5, 15 min) 5.00 before the run, unknown after",
        "WARNING: the machine was busy when the run started (1-minute load average 5.00, above"
            + " 4.00 for 8 cores; no CPU times on this system to tell it from a build that just"
            + " ended):");
    assertThat(RunConditions.unknown(1).lines(false))
        .containsExactly("Machine: 1 core; no load average on this system");
    assertThat(new RunConditions(1, LoadAverage.UNKNOWN, LoadAverage.UNKNOWN, SAMPLE, 0.1,
        Double.NaN).lines(false)).containsExactly(
        "Machine: 1 core; other processes used 10% of the CPU time in the 1.5 s before the run",
        "  no load average on this system");
  }
}
