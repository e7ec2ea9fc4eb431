package dev.batcher.benchmarks.results;

import static dev.batcher.benchmarks.results.Formats.appendRunsCell;
import static dev.batcher.benchmarks.results.Formats.fmtMicros;
import static dev.batcher.benchmarks.results.Formats.fmtRate;
import static dev.batcher.benchmarks.results.Suites.LATENCY;
import static dev.batcher.benchmarks.results.Suites.LIBRARY_NAMES;
import static dev.batcher.benchmarks.results.Suites.libraries;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The results page's latency section: p50, p99 and p99.9 enqueue-to-completion by library,
 * maxDelay and load, and a bar chart per load.
 */
final class LatencySection {
  static final Set<String> NO_ZERO_DELAY = Set.of("gax", "reactor", "otel");

  private LatencySection() {}

  static void render(StringBuilder md, List<Run> runs, String imgDir,
      List<Chart> charts) {
    List<JmhRecord> first = runs.get(0).of(LATENCY);
    if (first.isEmpty()) {
      return;
    }
    md.append("## Latency: enqueue to completion\n\n");
    String rate = first.get(0).param("highRate");
    md.append("A probe submits one item per millisecond and waits for its completion; at")
        .append(" `high` load a background producer also offers ").append(fmtRate(Double.parseDouble(rate)))
        .append(" items/s. Microseconds unless marked ms; ").append(runs.get(0).name())
        .append(" first").append(runs.size() > 1 ? ", the other runs in parentheses" : "")
        .append(". A maxDelay of 0 is natural batching for ours and the hand-written queue; gax,")
        .append(" Reactor and OpenTelemetry cannot run with 0 and use 1 ms.\n\n");
    md.append("| library | maxDelay | load | p50 | p99 | p99.9 |\n")
        .append("|---|---:|---|---:|---:|---:|\n");
    Map<String, Chart> byLoad = new LinkedHashMap<>();
    for (String load : List.of("low", "high")) {
      byLoad.put(load, Chart.latency("latency-" + load + ".png",
          "Enqueue-to-completion latency, " + load + " load (" + runs.get(0).name() + ")"));
    }
    for (String load : List.of("low", "high")) {
      for (String lib : libraries(first)) {
        for (String maxDelay : List.of("0", "5")) {
          JmhRecord x0 = find(runs.get(0), lib, load, maxDelay);
          if (x0 == null) {
            continue;
          }
          md.append("| ").append(LIBRARY_NAMES.getOrDefault(lib, lib)).append(" | ")
              .append(maxDelayLabel(lib, maxDelay)).append(" | ").append(load).append(" |");
          for (String pct : List.of("50.0", "99.0", "99.9")) {
            List<String> cells = new ArrayList<>();
            for (Run r : runs) {
              JmhRecord x = find(r, lib, load, maxDelay);
              cells.add(x == null ? "n/a"
                  : fmtMicros(x.percentiles().getOrDefault(pct, Double.NaN)));
            }
            appendRunsCell(md, cells);
          }
          md.append('\n');
          byLoad.get(load).addBars(LIBRARY_NAMES.getOrDefault(lib, lib).split(" ")[0] + " "
                  + maxDelayLabel(lib, maxDelay).replace(" (for 0)", "").replace(" ", ""),
              x0.percentiles().getOrDefault("50.0", Double.NaN),
              x0.percentiles().getOrDefault("99.0", Double.NaN),
              x0.percentiles().getOrDefault("99.9", Double.NaN));
        }
      }
    }
    md.append('\n');
    for (Chart c : byLoad.values()) {
      if (!c.isEmpty()) {
        md.append("![").append(c.title()).append("](").append(imgDir).append('/')
            .append(c.file()).append(")\n\n");
        charts.add(c);
      }
    }
  }

  /** gax, Reactor and OpenTelemetry cannot run with a zero delay; their drivers use 1 ms. */
  static String maxDelayLabel(String lib, String maxDelay) {
    if (maxDelay.equals("0") && NO_ZERO_DELAY.contains(lib)) {
      return "1 ms (for 0)";
    }
    return maxDelay + " ms";
  }

  private static JmhRecord find(Run r, String lib, String load, String maxDelay) {
    return r.of(LATENCY).stream()
        .filter(x -> x.param("library").equals(lib) && x.param("load").equals(load)
            && x.param("maxDelayMs").equals(maxDelay))
        .findFirst().orElse(null);
  }
}
