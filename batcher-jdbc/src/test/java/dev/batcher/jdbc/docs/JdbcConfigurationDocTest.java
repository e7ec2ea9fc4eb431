package dev.batcher.jdbc.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.jdbc.JdbcDeadLetterTable;
import dev.batcher.jdbc.JdbcSink;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * docs/configuration.md lists every option of {@link JdbcSink.Builder} and {@link
 * JdbcDeadLetterTable.Builder}, and the default byte budget its constant holds, so that a new
 * option or a changed default fails the build until the page says so. (batcher-core's
 * ConfigurationDocTest does the same for the batcher's builders.)
 */
class JdbcConfigurationDocTest {
  private static final Path PAGE =
      Path.of(System.getProperty("basedir", "")).toAbsolutePath().resolveSibling("docs")
          .resolve("configuration.md");

  @Test
  void jdbcSinkBuilder_everyOption_andTheMariaDbByteBudget() throws IOException {
    Map<String, String> rows = section("JdbcSink.Builder");
    assertThat(rows.keySet()).as("options of JdbcSink.Builder in %s", PAGE)
        .containsExactlyInAnyOrderElementsOf(options(JdbcSink.Builder.class));
    assertThat(rows.get("maxStatementBytes")).startsWith(String.format(Locale.ROOT, "%,d",
        JdbcSink.Builder.DEFAULT_MARIADB_MAX_STATEMENT_BYTES) + " ");
  }

  @Test
  void deadLetterTableBuilder_everyOption() throws IOException {
    assertThat(section("JdbcDeadLetterTable.Builder").keySet())
        .as("options of JdbcDeadLetterTable.Builder in %s", PAGE)
        .containsExactlyInAnyOrderElementsOf(options(JdbcDeadLetterTable.Builder.class));
  }

  /** The builder's options: its public instance methods that return the builder. */
  private static TreeSet<String> options(Class<?> builder) {
    TreeSet<String> out = new TreeSet<>();
    for (Method m : builder.getDeclaredMethods()) {
      if (Modifier.isPublic(m.getModifiers()) && !Modifier.isStatic(m.getModifiers())
          && m.getReturnType() == builder) {
        out.add(m.getName());
      }
    }
    return out;
  }

  /** The rows {@code | `option(...)` | default |} of the section whose heading names {@code name}. */
  private static Map<String, String> section(String name) throws IOException {
    Map<String, String> rows = null;
    for (String line : Files.readAllLines(PAGE)) {
      if (line.startsWith("## ")) {
        if (rows != null) {
          break;
        }
        if (line.startsWith("## `" + name + "`")) {
          rows = new LinkedHashMap<>();
        }
      } else if (rows != null && line.startsWith("| `")) {
        String[] cells = line.split("\\|");
        String first = cells[1].strip();
        rows.put(first.substring(1, first.indexOf('(')), cells[2].strip());
      }
    }
    assertThat(rows).as("a section '## `%s`' in %s", name, PAGE).isNotNull();
    return rows;
  }
}
