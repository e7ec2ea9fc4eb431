package dev.batcher.benchmarks.results;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a JDBC batch's time goes on PostgreSQL: reads the server log of short {@code
 * JdbcWriteBenchmark} runs made with {@code log_min_duration_statement=0} (every statement logged
 * with its server-side duration; {@code benchmarks/profile-jdbc.sh} makes them) and sets, per batch,
 * the server's time in the data statement (COPY, INSERT) and in COMMIT beside the wall time the
 * benchmark measured. What the server does not account for is the client, the network and, for a
 * statement sent alone in autocommit over the extended protocol, its commit: the server commits
 * at the Sync that follows the Execute, after logging the Execute's duration.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.batcher.benchmarks.results.PgLogProfile \
 *     --dir benchmarks/target/results-jdbc/run1/profile --out .../profile.md
 * </pre>
 *
 * <p>The directory holds, per run, {@code <label>.log} (the server log written during the run)
 * and {@code <label>.json} (its JMH result). Only the backends that touched {@code bench_rows}
 * count, so other sessions of the same server are left out.
 */
public final class PgLogProfile {
  private static final Pattern LINE =
      Pattern.compile("\\[(\\d+)\\].*?duration: ([\\d.]+) ms\\s+(?:statement|parse|bind|execute)"
          + "[^:]*:\\s?(.*)");
  private static final Pattern PID = Pattern.compile("\\[(\\d+)\\]");

  private PgLogProfile() {}

  /** Server milliseconds of one run, by kind of statement, and how many batches it wrote. */
  record Profile(String label, Map<String, Double> serverMs, long batches, double rowsPerSecond,
      int batchSize) {

    double perBatch(String kind) {
      return batches == 0 ? Double.NaN : serverMs.getOrDefault(kind, 0.0) / batches;
    }

    double wallPerBatch() {
      return batchSize * 1000.0 / rowsPerSecond;
    }
  }

  public static void main(String[] args) throws IOException {
    Path dir = null;
    Path out = null;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--dir" -> dir = Paths.get(args[i + 1]);
        case "--out" -> out = Paths.get(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]
            + "; usage: --dir DIR [--out FILE]");
      }
    }
    if (dir == null) {
      throw new IllegalArgumentException("give --dir DIR of <label>.log and <label>.json");
    }
    List<Profile> profiles = new ArrayList<>();
    List<Path> logs = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.log")) {
      ds.forEach(logs::add);
    }
    logs.sort(null);
    for (Path log : logs) {
      String label = log.getFileName().toString().replaceAll("\\.log$", "");
      List<JmhRecord> jmh = JmhRecord.read(dir.resolve(label + ".json"));
      JmhRecord r = jmh.get(0);
      profiles.add(profile(label, Files.readAllLines(log, StandardCharsets.UTF_8), r.score(),
          Integer.parseInt(r.param("batchSize"))));
    }
    String md = render(profiles);
    if (out == null) {
      System.out.print(md);
    } else {
      Files.writeString(out, md, StandardCharsets.UTF_8);
      System.out.println("wrote " + out);
    }
  }

  /** The profile of one run from its log lines. */
  static Profile profile(String label, List<String> lines, double rowsPerSecond, int batchSize) {
    Set<String> pids = new HashSet<>();
    for (String l : lines) {
      Matcher p = PID.matcher(l);
      if (l.contains("bench_rows") && p.find()) {
        pids.add(p.group(1));
      }
    }
    Map<String, Double> ms = new LinkedHashMap<>();
    long commits = 0;
    long dataStatements = 0;
    for (String l : lines) {
      Matcher m = LINE.matcher(l);
      if (!m.find() || !pids.contains(m.group(1))) {
        continue;
      }
      String kind = kind(m.group(3));
      if (kind == null) {
        continue; // set-up: CREATE, TRUNCATE, SET, SHOW
      }
      ms.merge(kind, Double.parseDouble(m.group(2)), Double::sum);
      // one run each: pgjdbc's extended protocol logs parse (then cached), bind and execute
      boolean ran = l.contains(" execute ") || l.contains("statement: ");
      if (ran && kind.equals("COMMIT")) {
        commits++;
      } else if (ran && kind.equals("data")) {
        dataStatements++;
      }
    }
    // A batch is one transaction: its COMMIT, or, sent as one statement in autocommit, that
    // statement.
    return new Profile(label, ms, commits > 0 ? commits : dataStatements, rowsPerSecond,
        batchSize);
  }

  /** The statement's kind: the data statement, COMMIT, BEGIN; null for set-up statements. */
  static String kind(String text) {
    String t = text.stripLeading();
    if (t.startsWith("COPY")) {
      return "data";
    } else if (t.startsWith("INSERT")) {
      return "data";
    } else if (t.startsWith("COMMIT")) {
      return "COMMIT";
    } else if (t.startsWith("BEGIN")) {
      return "BEGIN";
    }
    return null;
  }

  static String render(List<Profile> profiles) {
    StringBuilder md = new StringBuilder();
    md.append("| run | rows/s | wall ms per batch | server ms per batch: data statement |")
        .append(" COMMIT | BEGIN | not on the server |\n|---|---:|---:|---:|---:|---:|---:|\n");
    for (Profile p : profiles) {
      double wall = p.wallPerBatch();
      double server = p.perBatch("data") + p.perBatch("COMMIT") + p.perBatch("BEGIN");
      md.append("| ").append(p.label()).append(" | ")
          .append(JdbcReport.fmtRate(p.rowsPerSecond())).append(" | ")
          .append(fmt(wall)).append(" | ").append(fmt(p.perBatch("data"))).append(" | ")
          .append(fmt(p.perBatch("COMMIT"))).append(" | ").append(fmt(p.perBatch("BEGIN")))
          .append(" | ").append(fmt(wall - server)).append(" |\n");
    }
    return md.toString();
  }

  private static String fmt(double v) {
    return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.2f", v);
  }
}
