package dev.batcher.benchmarks.results;

import static dev.batcher.benchmarks.results.Formats.fmtMicros;
import static dev.batcher.benchmarks.results.Formats.fmtRate;
import static dev.batcher.benchmarks.results.Formats.fmtRatio;
import static dev.batcher.benchmarks.results.Suites.LATENCY;
import static dev.batcher.benchmarks.results.Suites.OURS;
import static dev.batcher.benchmarks.results.Suites.batchSizes;
import static dev.batcher.benchmarks.results.Suites.delivered;
import static dev.batcher.benchmarks.results.Suites.producerCounts;

import java.util.List;
import java.util.function.DoublePredicate;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The results page's "Targets" section: each target the project states (ours ≥ 10 M items/s with 2
 * producers, ours ≥ 2 × gax, ours ≥ the hand-written queue, p99 ≤ 1 ms at low load) with its
 * value in each run and whether it was met.
 */
final class TargetsSection {
  private TargetsSection() {}

  static void render(StringBuilder md, List<Run> runs) {
    md.append("## Targets\n\n");
    md.append("Each ratio is measured within one run (same machine state), at batch size 512 and")
        .append(" platform-thread producers unless the row says otherwise.\n\n");
    md.append("| target |");
    runs.forEach(r -> md.append(' ').append(r.name()).append(" |"));
    md.append(" met |\n|---|");
    runs.forEach(r -> md.append("---|"));
    md.append("---|\n");

    // 1. ours >= 10 M items/s at 2 producers
    List<Double> v = perRun(runs, r -> delivered(r, OURS, 2, "512", "platform"));
    row(md, "ours ≥ 10 M items/s with 2 producers", v, x -> fmtRate(x), x -> x >= 10e6);
    // 2. ours >= 2 x gax at every thread count: the smallest ratio
    List<Double> gax = perRun(runs, r -> minRatio(r, "gax", "512"));
    row(md, "ours ≥ 2 × gax BatcherImpl (smallest ratio over 1–8 producers)", gax,
        x -> fmtRatio(x), x -> x >= 2);
    List<Double> gax2 = perRun(runs, r -> ratio(r, "gax", 2, "512"));
    row(md, "ours / gax BatcherImpl with 2 producers", gax2, x -> fmtRatio(x), x -> x >= 2);
    // 3. ours >= abq at every thread count
    for (String bs : batchSizes(runs)) {
      List<Double> abq = perRun(runs, r -> minRatio(r, "abq", bs));
      row(md, "ours ≥ hand-written ArrayBlockingQueue at every thread count (smallest ratio, batch "
          + bs + ")", abq, x -> fmtRatio(x), x -> x >= 1);
    }
    // 4. low-load p99 <= 1 ms, natural batching
    List<Double> p99 = perRun(runs, r -> percentile(r, OURS, "low", "0", "99.0"));
    row(md, "ours: p99 enqueue-to-completion ≤ 1 ms at about 1,000 items/s, natural batching", p99,
        x -> fmtMicros(x), x -> x <= 1000);
    List<Double> p99l = perRun(runs, r -> percentile(r, OURS, "low", "5", "99.0"));
    row(md, "(for comparison) ours with a 5 ms maxDelay, same load: p99", p99l,
        x -> fmtMicros(x), null);
    md.append('\n');
  }

  private static List<Double> perRun(List<Run> runs, Function<Run, Double> f) {
    return runs.stream().map(f).collect(Collectors.toList());
  }

  private static void row(StringBuilder md, String what, List<Double> values,
      Function<Double, String> fmt, DoublePredicate met) {
    md.append("| ").append(what).append(" |");
    boolean all = true;
    boolean any = false;
    for (Double x : values) {
      if (x == null || x.isNaN()) {
        md.append(" n/a |");
        all = false;
      } else {
        md.append(' ').append(fmt.apply(x)).append(" |");
        if (met != null) {
          boolean ok = met.test(x);
          all &= ok;
          any |= ok;
        }
      }
    }
    String verdict = met == null ? "" : all ? "yes" : any ? "in some runs" : "**no**";
    md.append(' ').append(verdict).append(" |\n");
  }

  private static double ratio(Run r, String peer, int producers, String batch) {
    double ours = delivered(r, OURS, producers, batch, "platform");
    double theirs = delivered(r, peer, producers, batch, "platform");
    return ours / theirs;
  }

  private static double minRatio(Run r, String peer, String batch) {
    double min = Double.NaN;
    for (int p : producerCounts(List.of(r))) {
      double x = ratio(r, peer, p, batch);
      if (!Double.isNaN(x) && (Double.isNaN(min) || x < min)) {
        min = x;
      }
    }
    return min;
  }

  private static double percentile(Run r, String lib, String load, String maxDelay, String pct) {
    return r.of(LATENCY).stream()
        .filter(x -> x.param("library").equals(lib) && x.param("load").equals(load)
            && x.param("maxDelayMs").equals(maxDelay))
        .map(x -> x.percentiles().getOrDefault(pct, Double.NaN)).findFirst().orElse(Double.NaN);
  }
}
