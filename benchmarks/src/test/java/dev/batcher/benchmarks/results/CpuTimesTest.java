package dev.batcher.benchmarks.results;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class CpuTimesTest {
  private static final String PROC_STAT = "cpu  77454 10 19721 79673 1101 0 1314 112 30 0\n"
      + "cpu0 38046 0 9781 41120 130 0 637 50 0 0\n"
      + "intr 1234 0 0\n";
  /** utime 700, stime 200, cutime 50, cstime 50; a command name with spaces and parentheses. */
  private static final String PROC_SELF_STAT = "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 900"
      + " 0 0 0 700 200 50 50 20 0 30 0 90733 3133440 413\n";

  @Test
  void parse_busyIsAllButIdleAndIowait_guestNotCountedTwice_oursIsOwnAndChildren() {
    CpuTimes t = CpuTimes.parse(PROC_STAT, PROC_SELF_STAT);

    long busy = 77454 + 10 + 19721 + 0 + 1314 + 112; // user nice system irq softirq steal
    assertThat(t).isEqualTo(new CpuTimes(busy, busy + 79673 + 1101, 1000));
  }

  @Test
  void parse_oldKernelWithFourCounters() {
    assertThat(CpuTimes.parse("cpu 10 0 5 85\n", PROC_SELF_STAT))
        .isEqualTo(new CpuTimes(15, 100, 1000));
  }

  @Test
  void parse_notProcFiles_isRejected() {
    assertThatThrownBy(() -> CpuTimes.parse("intr 1 2 3\n", PROC_SELF_STAT))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("procStat must start with a 'cpu' line of at least four counters:"
            + " \"intr 1 2 3\"");
    assertThatThrownBy(() -> CpuTimes.parse("cpu 1 2 x 4\n", PROC_SELF_STAT))
        .hasMessage("procStat has 'x' where a number belongs: \"cpu 1 2 x 4\"");
    assertThatThrownBy(() -> CpuTimes.parse(PROC_STAT, "4242 (java) S 1 2"))
        .hasMessage("procSelfStat must have at least 17 fields, the command in parentheses"
            + " second: \"4242 (java) S 1 2\"");
  }

  @Test
  void othersShare_isTheMachinesBusyTimeLessOurs_overTheMachinesTime() {
    CpuTimes from = new CpuTimes(1_000, 10_000, 300);
    // 200 ticks passed over all CPUs; 120 of them busy, 30 of those ours (or our forks')
    CpuTimes to = new CpuTimes(1_120, 10_200, 330);

    assertThat(from.othersShareUntil(to)).isCloseTo(0.45, within(1e-9));
  }

  @Test
  void othersShare_staysWithinZeroAndOne_andIsNaNWithoutElapsedTime() {
    CpuTimes from = new CpuTimes(1_000, 10_000, 300);

    // our counters are sampled at ticks and may run ahead of the machine's
    assertThat(from.othersShareUntil(new CpuTimes(1_100, 10_200, 420))).isZero();
    assertThat(from.othersShareUntil(new CpuTimes(1_300, 10_200, 300))).isEqualTo(1.0);
    assertThat(from.othersShareUntil(from)).isNaN();
  }

  @Test
  void read_onThisMachine_hasTheCounters() {
    // Linux, here and in CI; elsewhere read() is empty and the summary uses the load average
    assertThat(CpuTimes.read()).hasValueSatisfying(t -> assertThat(t.total()).isPositive());
  }
}
