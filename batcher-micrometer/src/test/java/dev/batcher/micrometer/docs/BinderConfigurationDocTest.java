package dev.batcher.micrometer.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.micrometer.BatcherMetricsBinder;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * docs/configuration.md lists every option of {@link BatcherMetricsBinder.Builder} with its
 * default, so that a new option fails the build until the page says so. The style of
 * batcher-jdbc's {@code ConfigurationDocTest}: a section headed {@code ## `BatcherMetricsBinder
 * .Builder`} whose table rows start {@code | `option(...)` | default |}. The binder has no {@code
 * DEFAULT_*} constants (every option is off or empty), so the defaults are checked as written.
 */
class BinderConfigurationDocTest {
  private static final Path PAGE =
      Path.of(System.getProperty("basedir", "")).toAbsolutePath().resolveSibling("docs")
          .resolve("configuration.md");
  private static final String HEADING = "BatcherMetricsBinder.Builder";

  @Test
  void binderBuilder_everyOptionAndDefault() throws IOException {
    Map<String, String> rows = section(Files.readAllLines(PAGE));

    assertThat(rows).as("a section '## `%s`' with an options table in %s", HEADING, PAGE)
        .isNotEmpty();
    assertThat(new TreeSet<>(rows.keySet())).as("options of %s in %s", HEADING, PAGE)
        .isEqualTo(options(BatcherMetricsBinder.Builder.class));
    assertThat(rows.get("listener")).startsWith("none");
    assertThat(rows.get("percentiles")).isEqualTo("off");
    assertThat(rows.get("percentileHistogram")).isEqualTo("off");
    assertThat(rows.get("tags")).isEqualTo("none");
  }

  /** The builder's options: its public instance methods that return the builder. */
  private static TreeSet<String> options(Class<?> builder) {
    TreeSet<String> options = new TreeSet<>();
    for (Method m : builder.getDeclaredMethods()) {
      if (Modifier.isPublic(m.getModifiers()) && !Modifier.isStatic(m.getModifiers())
          && m.getReturnType() == builder) {
        options.add(m.getName());
      }
    }
    return options;
  }

  /** The options table of the section headed {@link #HEADING}: option to default cell. */
  private static Map<String, String> section(List<String> page) {
    Map<String, String> rows = new LinkedHashMap<>();
    boolean in = false;
    for (String line : page) {
      if (line.startsWith("## ")) {
        in = line.startsWith("## `" + HEADING + "`");
      } else if (in && line.startsWith("| `")) {
        String[] cells = line.split("\\|");
        String first = cells[1].strip();
        rows.put(first.substring(1, first.indexOf('(')), cells[2].strip());
      }
    }
    return rows;
  }
}
