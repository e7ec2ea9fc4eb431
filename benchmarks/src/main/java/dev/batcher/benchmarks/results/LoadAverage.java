package dev.batcher.benchmarks.results;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;

/**
 * The system load average over the last 1, 5 and 15 minutes: the average number of processes
 * running or waiting for a core. A value is NaN where it is not known: {@link #read()} gets all
 * three from {@code /proc/loadavg} on Linux, only the 1-minute one from the JVM elsewhere, and
 * none where the platform has no load average (Windows).
 */
record LoadAverage(double oneMinute, double fiveMinutes, double fifteenMinutes) {
  /** Nothing known. */
  static final LoadAverage UNKNOWN = new LoadAverage(Double.NaN, Double.NaN, Double.NaN);

  private static final Path PROC_LOADAVG = Paths.get("/proc/loadavg");

  /** This machine's load average now. */
  static LoadAverage read() {
    if (Files.isReadable(PROC_LOADAVG)) {
      try {
        return parse(Files.readString(PROC_LOADAVG, StandardCharsets.US_ASCII));
      } catch (IOException | IllegalArgumentException e) {
        // fall through to the JVM's 1-minute figure
      }
    }
    double one = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    return one < 0 ? UNKNOWN : new LoadAverage(one, Double.NaN, Double.NaN);
  }

  /**
   * Parses the first three fields of a {@code /proc/loadavg} line ({@code "0.65 0.21 0.08 2/210
   * 7754"}).
   *
   * @throws IllegalArgumentException if the line does not start with three numbers
   */
  static LoadAverage parse(String procLoadavg) {
    String[] f = procLoadavg.trim().split("\\s+");
    try {
      if (f.length >= 3) {
        return new LoadAverage(Double.parseDouble(f[0]), Double.parseDouble(f[1]),
            Double.parseDouble(f[2]));
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        "procLoadavg must start with three numbers: \"" + procLoadavg.trim() + "\"");
  }

  /** Whether at least the 1-minute figure is known. */
  boolean known() {
    return !Double.isNaN(oneMinute);
  }

  /** The known figures, 1-minute first: {@code "0.65 0.21 0.08"}, or {@code "unknown"}. */
  String describe() {
    if (!known()) {
      return "unknown";
    }
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%.2f", oneMinute));
    for (double x : new double[] {fiveMinutes, fifteenMinutes}) {
      if (!Double.isNaN(x)) {
        sb.append(String.format(Locale.ROOT, " %.2f", x));
      }
    }
    return sb.toString();
  }
}
