package dev.batcher.benchmarks.results;

import static dev.batcher.benchmarks.results.Formats.fmtPct;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How busy the machine was around a benchmark run, and the summary's lines about it: whether other
 * work competed with the benchmark for the cores, so that its numbers are noisy.
 *
 * <p>The verdict rests on the share of the machine's CPU time that other processes used (from
 * {@link CpuTimes}): in a short interval just before the run, and during the run. The load average
 * is shown too, but is not the test where CPU times are known: its 1-minute figure still counts a
 * build that ended seconds before (the README's main command builds, then runs), and, after the
 * run, the run itself. Only where there are no CPU time counters does the old rule apply: busy
 * when the 1-minute load average at the start exceeds {@value #BUSY_LOAD_PER_CORE} per core.
 *
 * @param cores the machine's processor count
 * @param loadBefore the load average just before the run
 * @param loadAfter the load average just after it
 * @param quietSample how long {@code othersBefore} was measured
 * @param othersBefore the share (0 to 1) of the CPU time that other processes used in the {@code
 *     quietSample} just before the run; NaN if unknown
 * @param othersDuring the same share during the run; NaN if unknown
 */
record RunConditions(int cores, LoadAverage loadBefore, LoadAverage loadAfter,
    Duration quietSample, double othersBefore, double othersDuring) {
  /** Other processes count as busy above this share of the machine's CPU time. */
  static final double BUSY_OTHERS_SHARE = 0.25;
  /** Without CPU times: busy when the 1-minute load average exceeds this many per core. */
  static final double BUSY_LOAD_PER_CORE = 0.5;
  /** How long the CPU time is measured before the run. */
  static final Duration QUIET_SAMPLE = Duration.ofMillis(1500);

  /** Nothing measured but the core count: for callers that have no readings. */
  static RunConditions unknown(int cores) {
    return new RunConditions(cores, LoadAverage.UNKNOWN, LoadAverage.UNKNOWN, QUIET_SAMPLE,
        Double.NaN, Double.NaN);
  }

  /**
   * The summary's lines about the machine.
   *
   * @param othersIncludeADatabase whether the run wrote to a database server, whose work during
   *     the run is the benchmark's and so no sign of competing work
   */
  List<String> lines(boolean othersIncludeADatabase) {
    List<String> out = new ArrayList<>();
    String coresText = cores + (cores == 1 ? " core" : " cores");
    String load = loadBefore.known() || loadAfter.known()
        ? "load average (1, 5, 15 min) " + loadBefore.describe() + " before the run, "
            + loadAfter.describe() + " after"
        : "no load average on this system";
    boolean cpuKnown = !Double.isNaN(othersBefore);
    if (!cpuKnown) {
      out.add("Machine: " + coresText + "; " + load);
      loadWarning(out, coresText);
      return out;
    }
    String seconds = String.format(Locale.ROOT, "%.1f s", quietSample.toMillis() / 1000.0);
    String during = Double.isNaN(othersDuring) ? "" : ", " + fmtPct(othersDuring) + " during it"
        + (othersIncludeADatabase ? " (the database server counts as other)" : "");
    out.add("Machine: " + coresText + "; other processes used " + fmtPct(othersBefore)
        + " of the CPU time in the " + seconds + " before the run" + during);
    out.add("  " + load + (loadBefore.known() || loadAfter.known()
        ? " (it also counts a build just before the run, and the run itself)" : ""));
    List<String> warnings = new ArrayList<>();
    if (othersBefore > BUSY_OTHERS_SHARE) {
      warnings.add("WARNING: other processes were busy when the run started (" + fmtPct(
          othersBefore) + " of the CPU time in the " + seconds + " before it, above "
          + fmtPct(BUSY_OTHERS_SHARE) + "):");
    }
    if (!othersIncludeADatabase && othersDuring > BUSY_OTHERS_SHARE) {
      warnings.add("WARNING: other processes used " + fmtPct(othersDuring) + " of the CPU time"
          + " during the run (above " + fmtPct(BUSY_OTHERS_SHARE) + "):");
    }
    if (!warnings.isEmpty()) {
      out.addAll(warnings);
      out.add("  they competed for the cores, so these numbers are noisy; rerun on a quiet"
          + " machine before trusting a small difference");
    }
    return out;
  }

  /** The rule where there are no CPU times: the 1-minute load average at the start. */
  private void loadWarning(List<String> out, String coresText) {
    double busyAbove = BUSY_LOAD_PER_CORE * cores;
    if (loadBefore.known() && loadBefore.oneMinute() > busyAbove) {
      out.add(String.format(Locale.ROOT, "WARNING: the machine was busy when the run started"
          + " (1-minute load average %.2f, above %.2f for %s; no CPU times on this system to"
          + " tell it from a build that just ended):", loadBefore.oneMinute(), busyAbove,
          coresText));
      out.add("  other work competed for the cores, so these numbers are noisy; rerun on a"
          + " quiet machine before trusting a small difference");
    }
  }
}
