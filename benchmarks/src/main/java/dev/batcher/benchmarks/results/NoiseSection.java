package dev.batcher.benchmarks.results;

import static dev.batcher.benchmarks.results.Formats.fmtPct;
import static dev.batcher.benchmarks.results.Suites.LATENCY;
import static dev.batcher.benchmarks.results.Suites.THROUGHPUT;
import static dev.batcher.benchmarks.results.Suites.deliveredOf;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The results page's "Noise between runs" section: for each case run in every run, the spread
 * (largest − smallest) ÷ mean, summarized as its median and its largest over the cases.
 */
final class NoiseSection {
  private NoiseSection() {}

  static void render(StringBuilder md, List<Run> runs) {
    if (runs.size() < 2) {
      return;
    }
    md.append("## Noise between runs\n\n");
    List<Double> tp = new ArrayList<>();
    String worstTp = "";
    double worst = -1;
    for (JmhRecord a : runs.get(0).of(THROUGHPUT)) {
      List<Double> vals = new ArrayList<>();
      for (Run r : runs) {
        r.of(THROUGHPUT).stream().filter(b -> b.params().equals(a.params())).findFirst()
            .ifPresent(b -> vals.add(deliveredOf(b)));
      }
      if (vals.size() == runs.size()) {
        double s = spread(vals);
        tp.add(s);
        if (s > worst) {
          worst = s;
          worstTp = a.param("library") + ", " + a.param("producers") + " producers, batch "
              + a.param("batchSize") + ", " + a.param("producerThreads");
        }
      }
    }
    List<Double> lat = new ArrayList<>();
    for (JmhRecord a : runs.get(0).of(LATENCY)) {
      List<Double> vals = new ArrayList<>();
      for (Run r : runs) {
        r.of(LATENCY).stream().filter(b -> b.params().equals(a.params())).findFirst()
            .ifPresent(b -> vals.add(b.percentiles().getOrDefault("99.0", Double.NaN)));
      }
      if (vals.size() == runs.size()) {
        lat.add(spread(vals));
      }
    }
    md.append("Spread of a case = (largest − smallest) ÷ mean over the runs.\n\n");
    md.append("| measure | cases | median spread | largest spread |\n|---|---:|---:|---:|\n");
    if (!tp.isEmpty()) {
      md.append("| throughput (delivered/s) | ").append(tp.size()).append(" | ")
          .append(fmtPct(median(tp))).append(" | ").append(fmtPct(worst)).append(" (")
          .append(worstTp).append(") |\n");
    }
    if (!lat.isEmpty()) {
      md.append("| latency p99 | ").append(lat.size()).append(" | ").append(fmtPct(median(lat)))
          .append(" | ").append(fmtPct(lat.stream().mapToDouble(d -> d).max().orElse(0)))
          .append(" |\n");
    }
    md.append('\n');
  }

  static double spread(List<Double> vals) {
    double min = vals.stream().mapToDouble(d -> d).min().orElse(Double.NaN);
    double max = vals.stream().mapToDouble(d -> d).max().orElse(Double.NaN);
    double mean = vals.stream().mapToDouble(d -> d).average().orElse(Double.NaN);
    return mean == 0 ? 0 : (max - min) / mean;
  }

  private static double median(List<Double> vals) {
    double[] a = vals.stream().mapToDouble(d -> d).filter(d -> !Double.isNaN(d)).toArray();
    if (a.length == 0) {
      return Double.NaN;
    }
    Arrays.sort(a);
    return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
  }
}
