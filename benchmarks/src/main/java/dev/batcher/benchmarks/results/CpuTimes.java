package dev.batcher.benchmarks.results;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Optional;

/**
 * A snapshot of Linux's CPU time counters, in clock ticks since boot: the machine's busy and total
 * time over all CPUs ({@code /proc/stat}), and the time of this process plus its finished children
 * ({@code /proc/self/stat}; JMH's forks are children, and are reaped before the run ends). Two
 * snapshots give the share of the machine's CPU time that <em>other</em> processes used between
 * them ({@link #othersShareUntil}): unlike the load average, it does not remember a build that
 * ended a second ago, and it leaves out the benchmark itself.
 *
 * <p>Immutable. {@link #read()} is empty where there is no {@code /proc} (macOS, Windows).
 */
record CpuTimes(long busy, long total, long ours) {
  private static final Path PROC_STAT = Paths.get("/proc/stat");
  private static final Path PROC_SELF_STAT = Paths.get("/proc/self/stat");

  /** This machine's counters now, or empty where {@code /proc} does not have them. */
  static Optional<CpuTimes> read() {
    try {
      return Optional.of(parse(Files.readString(PROC_STAT, StandardCharsets.US_ASCII),
          Files.readString(PROC_SELF_STAT, StandardCharsets.US_ASCII)));
    } catch (IOException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /**
   * Reads the counters from the text of {@code /proc/stat} (its first line: {@code cpu user nice
   * system idle iowait irq softirq steal ...}) and {@code /proc/self/stat} (utime, stime, cutime
   * and cstime: its fields 14 to 17). Idle and iowait are idle time; guest time is already in user
   * time, so it is not added again.
   *
   * @throws IllegalArgumentException if either text is not in that form
   */
  static CpuTimes parse(String procStat, String procSelfStat) {
    String first = procStat.lines().findFirst().orElse("").trim();
    String[] cpu = first.split("\\s+");
    if (!cpu[0].equals("cpu") || cpu.length < 5) {
      throw new IllegalArgumentException("procStat must start with a 'cpu' line of at least four"
          + " counters: \"" + first + "\"");
    }
    long[] c = new long[8]; // user nice system idle iowait irq softirq steal; absent ones are 0
    for (int i = 0; i < c.length && i + 1 < cpu.length; i++) {
      c[i] = number(cpu[i + 1], "procStat", first);
    }
    long idle = c[3] + c[4];
    long busy = c[0] + c[1] + c[2] + c[5] + c[6] + c[7];

    // the command name (field 2) is in parentheses and may hold spaces and parentheses itself
    int close = procSelfStat.lastIndexOf(')');
    String[] f = close < 0 ? new String[0] : procSelfStat.substring(close + 1).trim().split("\\s+");
    if (f.length < 15) {
      throw new IllegalArgumentException("procSelfStat must have at least 17 fields, the command in"
          + " parentheses second: \"" + procSelfStat.trim() + "\"");
    }
    long ours = 0;
    for (int field = 14; field <= 17; field++) { // utime, stime, cutime, cstime
      ours += number(f[field - 3], "procSelfStat", procSelfStat.trim());
    }
    return new CpuTimes(busy, busy + idle, ours);
  }

  /**
   * The share (0 to 1) of all the machine's CPU time from this snapshot until {@code later} that
   * processes other than this one and its children used; NaN if no time passed between them.
   */
  double othersShareUntil(CpuTimes later) {
    long elapsed = later.total - total;
    if (elapsed <= 0) {
      return Double.NaN;
    }
    // the per-process counters are sampled at ticks: they may exceed the machine's by a little
    long others = (later.busy - busy) - (later.ours - ours);
    return Math.min(elapsed, Math.max(0, others)) / (double) elapsed;
  }

  private static long number(String field, String name, String text) {
    try {
      return Long.parseLong(field);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " has '" + field + "' where a number belongs: \""
          + text + "\"");
    }
  }
}
