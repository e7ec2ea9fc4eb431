package dev.batcher.benchmarks.results;

import static dev.batcher.benchmarks.results.Formats.fmtRatio;
import static dev.batcher.benchmarks.results.Suites.LIBRARY_ORDER;
import static dev.batcher.benchmarks.results.Suites.OURS;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * The short summary printed after JMH's own table, for a reader who wants the verdict at a glance:
 * for each benchmark with a {@code library} parameter, ours ({@code batcher}) against each peer as
 * one ratio, then how busy the machine was ({@link RunConditions}), with a warning when other work
 * competed for the cores.
 *
 * <p><b>Modes.</b> A benchmark run in several modes ({@code -bm thrpt,sample}) is compared once per
 * mode, each under its name and mode ({@code LatencyBenchmark.enqueueToCompletion [sample]}):
 * records of different modes measure different things and are never compared with each other.
 *
 * <p><b>Ratios.</b> A peer's ratio is the geometric mean, over the points (the combinations of the
 * other parameters) that both ours and the peer ran, of ours ÷ peer for a rate and of peer ÷ ours
 * for a time, so above 1 always means ours is ahead. The value compared is, by the benchmark's
 * mode: in throughput mode the {@code delivered} counter where the benchmark has one (items whose
 * completion the producer saw) and the score otherwise; in sample mode the p99; in the other modes
 * the score. A point where either side has no positive score is left out.
 *
 * <p><b>What it does with partial runs.</b> Peers that did not run are listed as not run; a
 * benchmark without ours, without peers or without a {@code library} parameter gets one line
 * saying so. Pure: it reads nothing but its arguments, and never throws on well-formed records.
 */
final class RunSummary {
  /** Ratios within this factor of 1 read "about even". */
  static final double EVEN_FACTOR = 1.05;

  private static final String LIBRARY = "library";

  private RunSummary() {}

  /**
   * The summary's lines, without line terminators.
   *
   * @param records the run's results, in JMH's order
   * @param machine how busy the machine was around the run
   */
  static List<String> lines(List<JmhRecord> records, RunConditions machine) {
    List<String> out = new ArrayList<>();
    out.add("Summary: ours (" + OURS + ") against each peer; a ratio above 1 means ours is ahead");
    if (records.isEmpty()) {
      out.add("  no results to compare (no benchmark ran, or every one failed)");
    }
    // one group per benchmark and mode: a mode measures its own thing
    Map<String, Map<String, List<JmhRecord>>> byBenchmark = new LinkedHashMap<>();
    records.forEach(r -> byBenchmark.computeIfAbsent(r.shortName(), k -> new LinkedHashMap<>())
        .computeIfAbsent(r.mode(), k -> new ArrayList<>()).add(r));
    List<String> notCompared = new ArrayList<>();
    for (Map.Entry<String, Map<String, List<JmhRecord>>> b : byBenchmark.entrySet()) {
      Map<String, List<JmhRecord>> modes = b.getValue();
      if (modes.values().stream().flatMap(List::stream)
          .noneMatch(r -> r.params().containsKey(LIBRARY))) {
        notCompared.add(b.getKey());
        continue;
      }
      for (Map.Entry<String, List<JmhRecord>> m : modes.entrySet()) {
        String name = modes.size() == 1 ? b.getKey() : b.getKey() + " [" + m.getKey() + "]";
        benchmark(out, name, m.getValue());
      }
    }
    if (!notCompared.isEmpty()) {
      out.add("  not compared (no " + LIBRARY + " parameter): " + String.join(", ", notCompared));
    }
    out.addAll(machine.lines(records.stream().anyMatch(RunSummary::writesToADatabase)));
    return out;
  }

  /** The JDBC suites (package {@code ...benchmarks.jdbc}) write to a database server. */
  private static boolean writesToADatabase(JmhRecord r) {
    return r.benchmark().contains(".jdbc.");
  }

  // ============================================================================== benchmarks

  /** What is compared in a benchmark, and whether more of it is better. */
  private record Metric(String label, boolean higherIsBetter, ToDoubleFunction<JmhRecord> value) {}

  private static Metric metric(List<JmhRecord> rows) {
    JmhRecord first = rows.get(0);
    String unit = first.unit();
    switch (first.mode()) {
      case "thrpt":
        if (rows.stream().anyMatch(r -> r.secondary().containsKey("delivered"))) {
          return new Metric("items delivered per second", true, Suites::deliveredOf);
        }
        return new Metric("score (" + unit + ")", true, JmhRecord::score);
      case "sample":
        return new Metric("p99 latency (" + unit + ")", false,
            r -> r.percentiles().getOrDefault("99.0", Double.NaN));
      default:
        // avgt, ss, or a record without a mode: a rate if its unit is per second
        return new Metric("score (" + unit + ")", unit.endsWith("/s"), JmhRecord::score);
    }
  }

  private static void benchmark(List<String> out, String name, List<JmhRecord> rows) {
    List<String> libraries = Suites.libraries(rows);
    List<String> peers = new ArrayList<>(libraries);
    peers.remove(OURS);
    List<String> notRun = new ArrayList<>(LIBRARY_ORDER);
    notRun.removeAll(libraries);
    notRun.remove(OURS);
    if (!libraries.contains(OURS)) {
      out.add(name + ": " + OURS + " did not run (ran: " + String.join(", ", libraries)
          + "), so there is no ratio; JMH's table above has the scores");
      return;
    }
    if (peers.isEmpty()) {
      out.add(name + ": no peer ran, nothing to compare ours with; JMH's table above has the"
          + " scores");
      return;
    }
    Metric m = metric(rows);
    out.add(name + ": " + m.label() + ", " + (m.higherIsBetter() ? "ours ÷ peer" : "peer ÷ ours")
        + ",");
    out.add("  " + points(rows));
    Map<Map<String, String>, JmhRecord> ours = byPoint(rows, OURS);
    int width = peers.stream().mapToInt(String::length).max().orElse(0);
    for (String peer : peers) {
      List<Double> ratios = new ArrayList<>();
      for (Map.Entry<Map<String, String>, JmhRecord> p : byPoint(rows, peer).entrySet()) {
        JmhRecord o = ours.get(p.getKey());
        if (o == null) {
          continue;
        }
        double a = m.value().applyAsDouble(o);
        double b = m.value().applyAsDouble(p.getValue());
        if (a > 0 && b > 0 && Double.isFinite(a) && Double.isFinite(b)) {
          ratios.add(m.higherIsBetter() ? a / b : b / a);
        }
      }
      out.add("    " + pad(peer, width) + "  " + peerVerdict(ratios));
    }
    if (!notRun.isEmpty()) {
      out.add("    not run: " + String.join(", ", notRun));
    }
  }

  /** The records of one library, by their other parameters. */
  private static Map<Map<String, String>, JmhRecord> byPoint(List<JmhRecord> rows, String lib) {
    Map<Map<String, String>, JmhRecord> out = new LinkedHashMap<>();
    for (JmhRecord r : rows) {
      if (lib.equals(r.param(LIBRARY))) {
        Map<String, String> point = new TreeMap<>(r.params());
        point.remove(LIBRARY);
        out.putIfAbsent(point, r);
      }
    }
    return out;
  }

  /** "geometric mean over producers 1, 2, 4, 8; batchSize 512, maxDelayMs 0". */
  static String points(List<JmhRecord> rows) {
    Map<String, Set<String>> values = new LinkedHashMap<>();
    for (JmhRecord r : rows) {
      r.params().forEach((k, v) -> {
        if (!k.equals(LIBRARY)) {
          values.computeIfAbsent(k, x -> new LinkedHashSet<>()).add(v);
        }
      });
    }
    List<String> varying = new ArrayList<>();
    List<String> fixed = new ArrayList<>();
    values.forEach((k, vs) -> {
      if (vs.size() > 1) {
        varying.add(k + " " + String.join(", ", sorted(vs)));
      } else {
        fixed.add(k + " " + vs.iterator().next());
      }
    });
    if (varying.isEmpty()) {
      return fixed.isEmpty() ? "at one point" : "at one point: " + String.join(", ", fixed);
    }
    String over = "geometric mean over " + String.join(" × ", varying);
    return fixed.isEmpty() ? over : over + "; " + String.join(", ", fixed);
  }

  /** Numbers in numeric order, anything else as it came. */
  private static List<String> sorted(Set<String> values) {
    List<String> out = new ArrayList<>(values);
    if (out.stream().allMatch(RunSummary::isNumber)) {
      out.sort((a, b) -> Double.compare(Double.parseDouble(a), Double.parseDouble(b)));
    }
    return out;
  }

  private static boolean isNumber(String s) {
    try {
      Double.parseDouble(s);
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /** "1.18×  ours ahead   (4 points: 1.05× to 1.30×)". */
  static String peerVerdict(List<Double> ratios) {
    if (ratios.isEmpty()) {
      return String.format(Locale.ROOT, "%7s  %s", "n/a", "no point with a score for both");
    }
    double logSum = 0;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (double r : ratios) {
      logSum += Math.log(r);
      min = Math.min(min, r);
      max = Math.max(max, r);
    }
    double mean = Math.exp(logSum / ratios.size());
    String verdict = mean >= EVEN_FACTOR ? "ours ahead" : mean <= 1 / EVEN_FACTOR ? "ours behind"
        : "about even";
    String spread = ratios.size() == 1 ? "(1 point)"
        : "(" + ratios.size() + " points: " + fmtRatio(min) + " to " + fmtRatio(max) + ")";
    return String.format(Locale.ROOT, "%7s  %-11s  %s", fmtRatio(mean), verdict, spread);
  }

  private static String pad(String s, int width) {
    return s + " ".repeat(Math.max(0, width - s.length()));
  }
}
