package dev.batcher.benchmarks.results;

import static dev.batcher.benchmarks.results.Formats.appendRunsCell;
import static dev.batcher.benchmarks.results.Formats.fmtRate;
import static dev.batcher.benchmarks.results.Formats.fmtRatio;
import static dev.batcher.benchmarks.results.Suites.LIBRARY_NAMES;
import static dev.batcher.benchmarks.results.Suites.OURS;
import static dev.batcher.benchmarks.results.Suites.THROUGHPUT;
import static dev.batcher.benchmarks.results.Suites.batchSizes;
import static dev.batcher.benchmarks.results.Suites.delivered;
import static dev.batcher.benchmarks.results.Suites.libraries;
import static dev.batcher.benchmarks.results.Suites.producerCounts;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The results page's throughput section: for each batch size and kind of producer thread, a table
 * of delivered items/s by library and producer count, ours relative to each peer, what was
 * refused, failed or lost, and a chart.
 */
final class ThroughputSection {
  private ThroughputSection() {}

  static void render(StringBuilder md, List<Run> runs, String imgDir,
      List<Chart> charts) {
    if (runs.stream().allMatch(r -> r.of(THROUGHPUT).isEmpty())) {
      return;
    }
    md.append("## Throughput: items per second, submit to completion, no-op sink\n\n");
    md.append("Delivered items per second (completion observed by the producer), by number of")
        .append(" producer threads; ").append(runs.get(0).name()).append(" first, ")
        .append(runs.size() > 1 ? "the other runs in parentheses" : "")
        .append(". `M` is millions. Each producer keeps a window of max(4 × batch size, 1,024)")
        .append(" outstanding items.\n\n");
    List<Integer> ps = producerCounts(runs);
    for (String threads : List.of("platform", "virtual")) {
      for (String bs : batchSizes(runs)) {
        List<JmhRecord> first = runs.get(0).of(THROUGHPUT).stream()
            .filter(x -> x.param("batchSize").equals(bs)
                && x.param("producerThreads").equals(threads)
                && x.param("maxDelayMs").equals("0"))
            .collect(Collectors.toList());
        if (first.isEmpty()) {
          continue;
        }
        md.append("### Batch size ").append(bs).append(", ").append(threads)
            .append(" producer threads");
        if (threads.equals("virtual")) {
          md.append(" (").append(first.get(0).jdkVersion()).append(')');
        }
        md.append("\n\n| library |");
        ps.forEach(p -> md.append(' ').append(p).append(" |"));
        md.append("\n|---|");
        ps.forEach(p -> md.append("---:|"));
        md.append('\n');
        Chart chart = Chart.throughput("throughput-" + threads + "-batch" + bs + ".png",
            "Delivered items/s, batch size " + bs + ", " + threads + " producers ("
                + runs.get(0).name() + ")");
        for (String lib : libraries(first)) {
          md.append("| ").append(LIBRARY_NAMES.getOrDefault(lib, lib)).append(" |");
          List<Double> xs = new ArrayList<>();
          List<Double> ys = new ArrayList<>();
          for (int p : ps) {
            List<String> cells = new ArrayList<>();
            for (Run r : runs) {
              cells.add(fmtRate(delivered(r, lib, p, bs, threads)));
            }
            double y = delivered(runs.get(0), lib, p, bs, threads);
            if (!Double.isNaN(y)) {
              xs.add((double) p);
              ys.add(y / 1e6);
            }
            appendRunsCell(md, cells);
          }
          md.append('\n');
          chart.addSeries(LIBRARY_NAMES.getOrDefault(lib, lib), xs, ys);
        }
        md.append('\n');
        if (libraries(first).contains(OURS)) {
          md.append("Ours relative to each peer (delivered, ours ÷ peer, within one run):\n\n");
          md.append("| peer |");
          ps.forEach(p -> md.append(' ').append(p).append(" |"));
          md.append("\n|---|");
          ps.forEach(p -> md.append("---:|"));
          md.append('\n');
          for (String lib : libraries(first)) {
            if (lib.equals(OURS)) {
              continue;
            }
            md.append("| ").append(LIBRARY_NAMES.getOrDefault(lib, lib)).append(" |");
            for (int p : ps) {
              List<String> cells = new ArrayList<>();
              for (Run r : runs) {
                cells.add(fmtRatio(delivered(r, OURS, p, bs, threads)
                    / delivered(r, lib, p, bs, threads)));
              }
              appendRunsCell(md, cells);
            }
            md.append('\n');
          }
          md.append('\n');
        }
        losses(md, runs, bs, threads);
        md.append("![").append(chart.title()).append("](").append(imgDir).append('/')
            .append(chart.file()).append(")\n\n");
        charts.add(chart);
      }
    }
  }

  private static void losses(StringBuilder md, List<Run> runs, String bs, String threads) {
    List<String> lines = new ArrayList<>();
    for (Run r : runs) {
      for (JmhRecord x : r.of(THROUGHPUT)) {
        if (!x.param("batchSize").equals(bs) || !x.param("producerThreads").equals(threads)) {
          continue;
        }
        for (String k : List.of("refused", "failed", "lost")) {
          double v = x.secondary().getOrDefault(k, 0.0);
          if (v > 0.5) {
            lines.add(r.name() + ", " + x.param("library") + ", " + x.param("producers")
                + " producers: " + fmtRate(v) + " " + k + "/s");
          }
        }
      }
    }
    if (lines.isEmpty()) {
      md.append("Nothing was refused, failed or lost in these cases (the `refused`, `failed` and")
          .append(" `lost` counters are zero in every run).\n\n");
    } else {
      md.append("Refused, failed or lost (not counted as delivered):\n\n");
      lines.forEach(l -> md.append("- ").append(l).append('\n'));
      md.append('\n');
    }
  }
}
