package dev.batcher.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.Batcher;
import dev.batcher.testing.RecordingSink;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docs/metrics.md is held to what the binder registers: its meters table (names, types, tag keys
 * and values, which meters need the listener or its absence, the Prometheus names), the number of
 * snapshots a scrape takes, and the sample scrape, whose every line a scrape of the same scenario
 * ({@link PrometheusNamesTest}) shows. A renamed meter, a new tag value (a new refusal reason) or
 * a new meter fails here until the page says so.
 */
class MetricsPageTest {
  private static final Path PAGE =
      Path.of(System.getProperty("basedir", "")).toAbsolutePath().resolveSibling("docs")
          .resolve("metrics.md");
  private static final Pattern CODE = Pattern.compile("`([^`]*)`");

  /** A row of the meters table. */
  private record Row(String name, String type, Map<String, Set<String>> tags, String meaning,
      List<String> prometheus) {}

  /** A registered meter, as the table describes one. */
  private record Registered(String type, Map<String, Set<String>> tags) {}

  private static List<String> page;

  @BeforeAll
  static void readThePage() throws IOException {
    page = Files.readAllLines(PAGE);
  }

  @Test
  void metersTable_isWhatTheBinderRegisters_withAndWithoutTheListener() {
    Map<String, Row> rows = table();
    Map<String, Registered> withListener = registered(true);
    Map<String, Registered> without = registered(false);

    Set<String> all = new TreeSet<>(withListener.keySet());
    all.addAll(without.keySet());
    assertThat(new TreeSet<>(rows.keySet())).as("the meters in the table of %s", PAGE)
        .isEqualTo(all);
    for (String name : all) {
      Row row = rows.get(name);
      Registered meter = withListener.containsKey(name) ? withListener.get(name)
          : without.get(name);
      assertThat(row.type()).as("the type of %s", name).isEqualTo(meter.type());
      assertThat(row.tags()).as("the tags of %s", name).isEqualTo(meter.tags());
      String only = !without.containsKey(name) ? "with the listener only"
          : !withListener.containsKey(name) ? "without the listener only" : null;
      if (only != null) {
        assertThat(row.meaning()).as("the meaning of %s", name).startsWith(only);
      } else {
        assertThat(row.meaning()).as("the meaning of %s", name).doesNotContain("listener only");
      }
    }
  }

  @Test
  void metersTable_prometheusNames_areInAScrape() {
    Set<String> samples = new TreeSet<>();
    for (String scrape : List.of(PrometheusNamesTest.scrape(b -> b),
        PrometheusNamesTest.scrape(BatcherMetricsBinder.Builder::percentileHistogram),
        PrometheusNamesTest.scrapeWithoutListener())) {
      for (String line : scrape.split("\n")) {
        if (!line.startsWith("#") && !line.isBlank()) {
          samples.add(line.split("[{ ]", 2)[0]);
        }
      }
    }
    List<String> named = new ArrayList<>();
    table().values().forEach(row -> row.prometheus().stream()
        .filter(n -> n.startsWith("batcher_")).forEach(named::add));
    assertThat(named).as("Prometheus names in the table").hasSizeGreaterThan(table().size());
    assertThat(samples).as("sample names in scrapes").containsAll(named);
  }

  @Test
  void snapshotsPerScrape_areTheMetersThatReadTheSnapshot() {
    Matcher m = Pattern.compile("one scrape takes (\\d+) snapshots of each batcher \\((\\d+)"
        + " without\\s+the listener").matcher(String.join("\n", page).replace("\n  ", " "));
    assertThat(m.find()).as("the number of snapshots per scrape in %s", PAGE).isTrue();
    assertThat(Integer.parseInt(m.group(1))).isEqualTo(snapshotReaders(true));
    assertThat(Integer.parseInt(m.group(2))).isEqualTo(snapshotReaders(false));
  }

  @Test
  void sampleScrape_everyLineIsInAScrapeOfTheSameScenario() {
    List<String> block = block("## A scrape");
    assertThat(block).as("the ```text block of '## A scrape' in %s", PAGE).hasSizeGreaterThan(5);
    assertThat(PrometheusNamesTest.scrape(b -> b).split("\n"))
        .contains(block.toArray(String[]::new));
  }

  // ================================================================================ helpers

  /** The rows of the table under {@code ## Meters}, by meter name. */
  private static Map<String, Row> table() {
    Map<String, Row> rows = new TreeMap<>();
    int start = page.indexOf("## Meters");
    assertThat(start).as("a '## Meters' section in %s", PAGE).isNotNegative();
    for (int i = start + 1; i < page.size() && !page.get(i).startsWith("## "); i++) {
      String line = page.get(i);
      if (!line.startsWith("| `batcher.")) {
        continue;
      }
      String[] cells = Arrays.stream(line.substring(1, line.length() - 1).split("(?<!\\\\)\\|"))
          .map(String::strip).toArray(String[]::new);
      assertThat(cells).as("cells of %s", line).hasSize(5);
      rows.put(codes(cells[0]).get(0),
          new Row(codes(cells[0]).get(0), cells[1], tags(cells[2]), cells[3], codes(cells[4])));
    }
    return rows;
  }

  /**
   * A tags cell: {@code `key`: `value`, `value`} pairs separated by {@code ;}; a cell in
   * parentheses names tags that options add (the listener's meters), not tags of every binding.
   */
  private static Map<String, Set<String>> tags(String cell) {
    Map<String, Set<String>> tags = new TreeMap<>();
    if (cell.isEmpty() || cell.startsWith("(")) {
      return tags;
    }
    for (String part : cell.split(";")) {
      List<String> codes = codes(part);
      tags.put(codes.get(0), new TreeSet<>(codes.subList(1, codes.size())));
    }
    return tags;
  }

  private static List<String> codes(String text) {
    List<String> out = new ArrayList<>();
    Matcher m = CODE.matcher(text);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  /** The lines of the first fenced block after {@code heading}. */
  private static List<String> block(String heading) {
    int i = page.indexOf(heading);
    assertThat(i).as("'%s' in %s", heading, PAGE).isNotNegative();
    while (!page.get(i).startsWith("```")) {
      i++;
    }
    List<String> out = new ArrayList<>();
    for (i++; !page.get(i).startsWith("```"); i++) {
      out.add(page.get(i));
    }
    return out;
  }

  /** The meters a batcher named likes gets, with or without the listener, by name. */
  private static Map<String, Registered> registered(boolean listener) {
    Map<String, Registered> out = new TreeMap<>();
    for (Meter m : meters(listener)) {
      Map<String, Set<String>> tags = new TreeMap<>();
      for (Tag t : m.getId().getTags()) {
        if (!t.getKey().equals("name")) {
          tags.computeIfAbsent(t.getKey(), k -> new TreeSet<>()).add(t.getValue());
        }
      }
      Registered r = new Registered(type(m), tags);
      out.merge(m.getId().getName(), r, (a, b) -> {
        assertThat(b.type()).isEqualTo(a.type());
        Map<String, Set<String>> both = new TreeMap<>(a.tags());
        b.tags().forEach((k, v) -> both.merge(k, v, (x, y) -> {
          Set<String> u = new TreeSet<>(x);
          u.addAll(y);
          return u;
        }));
        return new Registered(a.type(), both);
      });
    }
    return out;
  }

  private static int snapshotReaders(boolean listener) {
    return (int) meters(listener).stream()
        .filter(m -> m instanceof FunctionCounter || m instanceof Gauge).count();
  }

  private static List<Meter> meters(boolean listener) {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    BatcherMetricsListener events = new BatcherMetricsListener();
    var builder = Batcher.builder(new RecordingSink<Integer>()).name("likes");
    try (Batcher<Integer> likes = (listener ? builder.listener(events) : builder).build()) {
      (listener ? BatcherMetricsBinder.builder(likes).listener(events).build()
          : BatcherMetricsBinder.of(likes)).bindTo(registry);
      return registry.getMeters().stream()
          .filter(m -> "likes".equals(m.getId().getTag("name"))).toList();
    }
  }

  private static String type(Meter m) {
    Map<Class<?>, String> types = Map.of(FunctionCounter.class, "function counter",
        Gauge.class, "gauge", Timer.class, "timer",
        DistributionSummary.class, "distribution summary");
    return types.entrySet().stream().filter(e -> e.getKey().isInstance(m))
        .map(Map.Entry::getValue).findFirst()
        .orElseThrow(() -> new AssertionError("a meter of an unexpected kind: " + m.getId()));
  }
}
