package dev.batcher.benchmarks.results;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Reads the JMH JSON of one or more runs of the suites and writes {@code docs/results.md} (the
 * tables and the ratios that the targets are about, with the machine, JDK, date and the exact
 * commands) and PNG charts beside it.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.batcher.benchmarks.results.ResultsReport \
 *     --run target/bench/run1 --run target/bench/run2 \
 *     --out docs/results.md --img docs/img [--notes benchmarks/results-notes.md]
 * </pre>
 *
 * <p>Each {@code --run} directory holds the run's {@code *.json} files (any suite, any number),
 * and optionally {@code commands.txt} (the commands, one a line) and {@code env.txt} ({@code key:
 * value} lines: date, machine, load average). The first run is the one charted; every table shows
 * the others in parentheses, and a section gives the spread between runs. {@code --notes} appends a
 * hand-written Markdown file (the analysis of the numbers).
 */
public final class ResultsReport {
  static final String THROUGHPUT = "CoreThroughputBenchmark.submitToCompletion";
  static final String LATENCY = "LatencyBenchmark.enqueueToCompletion";
  static final String OURS = "batcher";
  /** The JDBC suites' page, beside this one. */
  static final String JDBC_PAGE = "results-jdbc.md";
  static final List<String> LIBRARY_ORDER = List.of("batcher", "abq", "gax", "reactor", "otel");
  static final Set<String> NO_ZERO_DELAY = Set.of("gax", "reactor", "otel");
  static final Map<String, String> LIBRARY_NAMES = Map.of(
      "batcher", "batcher (ours)",
      "abq", "hand-written ArrayBlockingQueue",
      "gax", "gax-java BatcherImpl",
      "reactor", "Reactor bufferTimeout",
      "otel", "OpenTelemetry BatchSpanProcessor");

  private ResultsReport() {}

  /** One run of the suites: its records and what is known about how it was made. */
  record Run(String name, List<JmhRecord> records, List<String> commands,
      Map<String, String> env) {

    static Run read(Path dir, String name) throws IOException {
      List<JmhRecord> records = new ArrayList<>();
      List<Path> files = new ArrayList<>();
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.json")) {
        ds.forEach(files::add);
      }
      files.sort(null);
      for (Path f : files) {
        records.addAll(JmhRecord.read(f));
      }
      if (records.isEmpty()) {
        throw new IOException("no JMH JSON results in " + dir);
      }
      Path cmd = dir.resolve("commands.txt");
      List<String> commands = Files.exists(cmd)
          ? Files.readAllLines(cmd, StandardCharsets.UTF_8).stream()
              .filter(l -> !l.isBlank()).collect(Collectors.toList())
          : List.of();
      Map<String, String> env = new LinkedHashMap<>();
      Path envFile = dir.resolve("env.txt");
      if (Files.exists(envFile)) {
        for (String line : Files.readAllLines(envFile, StandardCharsets.UTF_8)) {
          int colon = line.indexOf(':');
          if (colon > 0) {
            env.put(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
          }
        }
      }
      return new Run(name, records, commands, env);
    }

    List<JmhRecord> of(String benchmark) {
      return records.stream().filter(r -> r.shortName().equals(benchmark))
          .collect(Collectors.toList());
    }
  }

  public static void main(String[] args) throws IOException {
    System.setProperty("java.awt.headless", "true");
    List<Path> runDirs = new ArrayList<>();
    Path out = Paths.get("docs/results.md");
    Path img = Paths.get("docs/img");
    Path notes = null;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String v = i + 1 < args.length ? args[i + 1] : null;
      if (v == null) {
        throw new IllegalArgumentException(a + " needs a value");
      }
      switch (a) {
        case "--run":
          runDirs.add(Paths.get(v));
          break;
        case "--out":
          out = Paths.get(v);
          break;
        case "--img":
          img = Paths.get(v);
          break;
        case "--notes":
          notes = Paths.get(v);
          break;
        default:
          throw new IllegalArgumentException("unknown option " + a
              + "; usage: --run DIR [--run DIR ...] [--out FILE] [--img DIR] [--notes FILE]");
      }
      i++;
    }
    if (runDirs.isEmpty()) {
      throw new IllegalArgumentException("give at least one --run DIR of JMH JSON results");
    }
    List<Run> runs = new ArrayList<>();
    for (int i = 0; i < runDirs.size(); i++) {
      runs.add(Run.read(runDirs.get(i), "run " + (i + 1)));
    }
    String notesText = notes == null ? "" : Files.readString(notes, StandardCharsets.UTF_8);
    Path relImg = out.toAbsolutePath().getParent().relativize(img.toAbsolutePath());
    List<Chart> charts = new ArrayList<>();
    // JdbcReport writes the JDBC suites' page beside this one; link it once it exists
    boolean jdbcPage = Files.exists(out.toAbsolutePath().resolveSibling(JDBC_PAGE));
    String markdown = render(runs, notesText, relImg.toString().replace('\\', '/'), charts,
        jdbcPage);
    Files.createDirectories(img);
    for (Chart c : charts) {
      c.write(img);
    }
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, markdown, StandardCharsets.UTF_8);
    System.out.println("wrote " + out + " and " + charts.size() + " charts in " + img);
  }

  /** Renders the whole Markdown page and collects the charts it links to. */
  static String render(List<Run> runs, String notes, String imgDir, List<Chart> charts) {
    return render(runs, notes, imgDir, charts, false);
  }

  /** As above, with a link to {@value #JDBC_PAGE} (written by {@link JdbcReport}) if asked. */
  static String render(List<Run> runs, String notes, String imgDir, List<Chart> charts,
      boolean jdbcPage) {
    StringBuilder md = new StringBuilder();
    md.append("# Benchmark results\n\n");
    md.append("Generated by `dev.batcher.benchmarks.results.ResultsReport` from the JMH JSON of ")
        .append(runs.size()).append(runs.size() == 1 ? " run" : " runs")
        .append(" of the suites in `benchmarks/`; do not edit by hand (edit ")
        .append("`benchmarks/results-notes.md` for the analysis at the end).\n\n");
    if (jdbcPage) {
      md.append("The JDBC sinks (rows/s by strategy and batch size, counter merging) have their")
          .append(" own page: [").append(JDBC_PAGE).append("](").append(JDBC_PAGE).append(").\n\n");
    }
    howToRun(md);
    theRuns(md, runs);
    targets(md, runs);
    throughput(md, runs, imgDir, charts);
    latency(md, runs, imgDir, charts);
    noise(md, runs);
    if (!notes.isBlank()) {
      md.append(notes.strip()).append("\n");
    }
    return md.toString();
  }

  private static void howToRun(StringBuilder md) {
    md.append("## How to run\n\n")
        .append("From a fresh clone (JDK 17+, Maven 3.8+), the project's main command builds the")
        .append(" JMH jar and runs a short version of both suites:\n\n")
        .append("```\n")
        .append("mvn -B -q -pl benchmarks -am package -DskipTests && java -jar benchmarks/target/benchmarks.jar\n")
        .append("```\n\n")
        .append("It takes about 6 minutes on 2 cores (20 throughput cases, then 20 latency cases,")
        .append(" each in its own JVM). For each case JMH prints a table row; read them like this.")
        .append(" `CoreThroughputBenchmark.submitToCompletion` rows give items per second for each")
        .append(" `library` and number of `producers` (batch size 512): the row without a suffix")
        .append(" counts items *submitted*, `:delivered` the items whose completion the producer")
        .append(" saw (compare libraries by this one), and `:refused`, `:failed` and `:lost`")
        .append(" what a library refused, failed or silently dropped (they should be `≈ 0`; a")
        .append(" library that drops gets no credit for it). `LatencyBenchmark.enqueueToCompletion`")
        .append(" rows give, in microseconds, the time from `submit` to the completion of the")
        .append(" item's future, as a mean and as percentiles (`:p0.50`, `:p0.99`, `:p0.999`) at")
        .append(" `load=low` (about 1,000 items/s) and `load=high`, with natural batching")
        .append(" (`maxDelayMs=0`) and with a 5 ms maxDelay. After each high-load trial a line")
        .append(" says")
        .append(" what load the background producer actually offered; a library that could not")
        .append(" keep up offered less than asked. The library names: `batcher` is ours, `abq` a")
        .append(" hand-written `ArrayBlockingQueue` worker, `gax` gax-java's `BatcherImpl`,")
        .append(" `reactor` Reactor's `bufferTimeout`, `otel` OpenTelemetry's")
        .append(" `BatchSpanProcessor`.\n\n")
        .append("`benchmarks/run.sh` makes the runs published here (two runs of the full")
        .append(" batch-size matrix with longer measurements, virtual-thread producers on a JDK 21+")
        .append(" when `JAVA21_HOME` is set) and regenerates this page and its charts; the exact")
        .append(" commands are below. Every JMH option works as usual: `-l` lists the benchmarks,")
        .append(" `-p library=batcher,abq` narrows a parameter, `-rf json -rff out.json` writes")
        .append(" JSON, `-prof gc` adds allocation rates, and `-f 3 -wi 5 -i 10 -r 2s` runs")
        .append(" longer. The Javadoc of each benchmark class says what it measures and how the")
        .append(" peers are configured.\n\n");
  }

  private static void theRuns(StringBuilder md, List<Run> runs) {
    md.append("## The runs\n\n");
    md.append("| |");
    runs.forEach(r -> md.append(' ').append(r.name()).append(" |"));
    md.append("\n|---|");
    runs.forEach(r -> md.append("---|"));
    md.append('\n');
    Set<String> keys = new LinkedHashSet<>();
    runs.forEach(r -> keys.addAll(r.env().keySet()));
    for (String k : keys) {
      md.append("| ").append(k).append(" |");
      runs.forEach(r -> md.append(' ').append(r.env().getOrDefault(k, "")).append(" |"));
      md.append('\n');
    }
    md.append("| JDK |");
    runs.forEach(r -> md.append(' ').append(jdks(r)).append(" |"));
    md.append("\n| JMH settings |");
    runs.forEach(r -> md.append(' ').append(settings(r)).append(" |"));
    md.append("\n\n");
    for (Run r : runs) {
      if (!r.commands().isEmpty()) {
        md.append("Commands of ").append(r.name()).append(":\n\n```\n");
        r.commands().forEach(c -> md.append(c).append('\n'));
        md.append("```\n\n");
      }
    }
  }

  private static String jdks(Run r) {
    return r.records().stream().map(x -> x.vmName() + " " + x.jdkVersion()).distinct()
        .collect(Collectors.joining("; "));
  }

  private static String settings(Run r) {
    return r.records().stream()
        .map(x -> x.shortName().split("\\.")[0] + ": " + x.forks() + " fork, "
            + x.warmupIterations() + " × " + x.warmupTime() + " warm-up, "
            + x.measurementIterations() + " × " + x.measurementTime() + " measured")
        .distinct().collect(Collectors.joining("; "));
  }

  // ================================================================================= targets

  private static void targets(StringBuilder md, List<Run> runs) {
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
      Function<Double, String> fmt, java.util.function.DoublePredicate met) {
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

  private static Double delivered(Run r, String lib, int producers, String batch, String threads) {
    return r.of(THROUGHPUT).stream()
        .filter(x -> x.param("library").equals(lib)
            && x.param("producers").equals(Integer.toString(producers))
            && x.param("batchSize").equals(batch)
            && x.param("producerThreads").equals(threads)
            && x.param("maxDelayMs").equals("0"))
        .map(ResultsReport::deliveredOf).findFirst().orElse(Double.NaN);
  }

  static double deliveredOf(JmhRecord x) {
    return x.secondary().getOrDefault("delivered", Double.NaN);
  }

  private static Double ratio(Run r, String peer, int producers, String batch) {
    double ours = delivered(r, OURS, producers, batch, "platform");
    double theirs = delivered(r, peer, producers, batch, "platform");
    return ours / theirs;
  }

  private static Double minRatio(Run r, String peer, String batch) {
    double min = Double.NaN;
    for (int p : producerCounts(List.of(r))) {
      double x = ratio(r, peer, p, batch);
      if (!Double.isNaN(x) && (Double.isNaN(min) || x < min)) {
        min = x;
      }
    }
    return min;
  }

  private static Double percentile(Run r, String lib, String load, String maxDelay, String pct) {
    return r.of(LATENCY).stream()
        .filter(x -> x.param("library").equals(lib) && x.param("load").equals(load)
            && x.param("maxDelayMs").equals(maxDelay))
        .map(x -> x.percentiles().getOrDefault(pct, Double.NaN)).findFirst().orElse(Double.NaN);
  }

  // ============================================================================== throughput

  private static Set<String> batchSizes(List<Run> runs) {
    Set<Integer> s = new TreeSet<>();
    runs.forEach(r -> r.of(THROUGHPUT).forEach(x -> s.add(Integer.parseInt(x.param("batchSize")))));
    return s.stream().map(String::valueOf).collect(Collectors.toCollection(LinkedHashSet::new));
  }

  private static List<Integer> producerCounts(List<Run> runs) {
    Set<Integer> s = new TreeSet<>();
    runs.forEach(r -> r.of(THROUGHPUT).forEach(x -> s.add(Integer.parseInt(x.param("producers")))));
    return new ArrayList<>(s);
  }

  private static List<String> libraries(List<JmhRecord> records) {
    Set<String> present = records.stream().map(x -> x.param("library"))
        .collect(Collectors.toSet());
    List<String> out = new ArrayList<>();
    LIBRARY_ORDER.stream().filter(present::contains).forEach(out::add);
    present.stream().filter(l -> !LIBRARY_ORDER.contains(l)).sorted().forEach(out::add);
    return out;
  }

  private static void throughput(StringBuilder md, List<Run> runs, String imgDir,
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
              cells.add(fmtRate(deliveredIn(r, lib, p, bs, threads)));
            }
            double y = deliveredIn(runs.get(0), lib, p, bs, threads);
            if (!Double.isNaN(y)) {
              xs.add((double) p);
              ys.add(y / 1e6);
            }
            md.append(' ').append(cells.get(0));
            if (cells.size() > 1) {
              md.append(" (").append(String.join(", ", cells.subList(1, cells.size())))
                  .append(')');
            }
            md.append(" |");
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
                cells.add(fmtRatio(deliveredIn(r, OURS, p, bs, threads)
                    / deliveredIn(r, lib, p, bs, threads)));
              }
              md.append(' ').append(cells.get(0));
              if (cells.size() > 1) {
                md.append(" (").append(String.join(", ", cells.subList(1, cells.size())))
                    .append(')');
              }
              md.append(" |");
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

  private static double deliveredIn(Run r, String lib, int p, String bs, String threads) {
    return r.of(THROUGHPUT).stream()
        .filter(x -> x.param("library").equals(lib)
            && x.param("producers").equals(Integer.toString(p))
            && x.param("batchSize").equals(bs) && x.param("producerThreads").equals(threads)
            && x.param("maxDelayMs").equals("0"))
        .mapToDouble(ResultsReport::deliveredOf).findFirst().orElse(Double.NaN);
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

  // ================================================================================= latency

  private static void latency(StringBuilder md, List<Run> runs, String imgDir,
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
            md.append(' ').append(cells.get(0));
            if (cells.size() > 1) {
              md.append(" (").append(String.join(", ", cells.subList(1, cells.size())))
                  .append(')');
            }
            md.append(" |");
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

  // =================================================================================== noise

  private static void noise(StringBuilder md, List<Run> runs) {
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

  // ================================================================================ formats

  static String fmtRate(double perSecond) {
    if (Double.isNaN(perSecond)) {
      return "n/a";
    }
    if (perSecond >= 1e6) {
      return String.format(Locale.ROOT, "%.2f M", perSecond / 1e6);
    }
    if (perSecond >= 1e3) {
      return String.format(Locale.ROOT, "%.0f k", perSecond / 1e3);
    }
    return String.format(Locale.ROOT, "%.0f", perSecond);
  }

  static String fmtRatio(double r) {
    return Double.isNaN(r) || Double.isInfinite(r) ? "n/a"
        : String.format(Locale.ROOT, "%.2f×", r);
  }

  static String fmtMicros(double us) {
    if (Double.isNaN(us)) {
      return "n/a";
    }
    if (us >= 1000) {
      return String.format(Locale.ROOT, "%.2f ms", us / 1000);
    }
    return String.format(Locale.ROOT, "%.0f µs", us);
  }

  static String fmtPct(double f) {
    return Double.isNaN(f) ? "n/a" : String.format(Locale.ROOT, "%.0f%%", f * 100);
  }
}
