package dev.batcher.benchmarks.results;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One run of the suites: its records and what is known about how it was made. Read from a
 * directory that holds the run's {@code *.json} files (any suite, any number), and optionally
 * {@code commands.txt} (the commands, one a line) and {@code env.txt} ({@code key: value} lines:
 * date, machine, load average).
 */
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

  /** The records of one benchmark, by its simple name ({@link JmhRecord#shortName()}). */
  List<JmhRecord> of(String benchmark) {
    return records.stream().filter(r -> r.shortName().equals(benchmark))
        .collect(Collectors.toList());
  }
}
