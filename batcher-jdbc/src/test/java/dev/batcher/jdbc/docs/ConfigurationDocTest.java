package dev.batcher.jdbc.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.BatcherBuilder;
import dev.batcher.RetryPolicy;
import dev.batcher.jdbc.JdbcDeadLetterTable;
import dev.batcher.jdbc.JdbcSink;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

/**
 * docs/configuration.md lists every option of {@link BatcherBuilder}, {@link RetryPolicy.Builder},
 * {@link JdbcSink.Builder} and {@link JdbcDeadLetterTable.Builder}, each with the default its
 * {@code DEFAULT_*} constant holds, so that a changed default or a new option fails the build
 * until the page says so. (It lives in batcher-jdbc, which sees every one of them.)
 *
 * <p>The page has a section per builder (a {@code ##} heading naming it in backticks) with a table
 * whose rows start {@code | `option(...)` | default |}. A constant {@code DEFAULT_MAX_DELAY_MILLIS}
 * is the default of {@code maxDelay}, written {@code 0 ms}; {@code _SECONDS} is written {@code s};
 * other numbers with thousands separators ({@code 8,192}), fractions as short as they go ({@code
 * 0.1}, {@code 2}), enum constants in backticks ({@code `BLOCK`}). The cell may go on with a
 * remark in parentheses.
 */
class ConfigurationDocTest {
  private static final Path PAGE =
      Path.of(System.getProperty("basedir", "")).toAbsolutePath().resolveSibling("docs")
          .resolve("configuration.md");

  @Test
  void batcherBuilder_everyOptionAndDefault() throws IOException {
    check("BatcherBuilder", BatcherBuilder.class, BatcherBuilder.class);
  }

  @Test
  void retryPolicyBuilder_everyOptionAndDefault() throws IOException {
    check("RetryPolicy.Builder", RetryPolicy.Builder.class, RetryPolicy.class);
  }

  @Test
  void defaults_areWrittenTheWayThePageWritesThem() throws Exception {
    assertThat(written(BatcherBuilder.class.getField("DEFAULT_QUEUE_CAPACITY"))).isEqualTo("8,192");
    assertThat(written(BatcherBuilder.class.getField("DEFAULT_MAX_DELAY_MILLIS")))
        .isEqualTo("0 ms");
    assertThat(written(BatcherBuilder.class.getField("DEFAULT_DELIVERY_TIMEOUT_SECONDS")))
        .isEqualTo("120 s");
    assertThat(written(BatcherBuilder.class.getField("DEFAULT_MAX_DELAY_JITTER")))
        .isEqualTo("0.1");
    assertThat(written(RetryPolicy.class.getField("DEFAULT_MULTIPLIER"))).isEqualTo("2");
    assertThat(written(BatcherBuilder.class.getField("DEFAULT_OVERFLOW"))).isEqualTo("`BLOCK`");
    assertThat(optionOf("DEFAULT_MAX_BACKOFF_MILLIS")).isEqualTo("maxBackoff");
    assertThat(optionOf("DEFAULT_BACKOFF_JITTER_FRACTION")).isEqualTo("backoffJitterFraction");
  }

  @Test
  void jdbcSinkBuilder_everyOption_andTheMariaDbByteBudget() throws IOException {
    Map<String, String> rows = section("JdbcSink.Builder");
    assertThat(new TreeSet<>(rows.keySet())).as("options of JdbcSink.Builder in %s", PAGE)
        .isEqualTo(options(JdbcSink.Builder.class));
    assertThat(rows.get("maxStatementBytes")).startsWith(String.format(Locale.ROOT, "%,d",
        JdbcSink.Builder.DEFAULT_MARIADB_MAX_STATEMENT_BYTES) + " ");
  }

  @Test
  void deadLetterTableBuilder_everyOption() throws IOException {
    assertThat(new TreeSet<>(section("JdbcDeadLetterTable.Builder").keySet()))
        .as("options of JdbcDeadLetterTable.Builder in %s", PAGE)
        .isEqualTo(options(JdbcDeadLetterTable.Builder.class));
  }

  /** The options table of the section headed {@code heading}: option to default cell. */
  private static Map<String, String> section(String heading) throws IOException {
    Map<String, String> rows = defaultsBySection(Files.readAllLines(PAGE)).get(heading);
    assertThat(rows).as("a section '## `%s`' with an options table in %s", heading, PAGE)
        .isNotNull();
    return rows;
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

  /** Checks the section of {@code heading} against the builder's options and the defaults. */
  private static void check(String heading, Class<?> builder, Class<?> constants)
      throws IOException {
    Map<String, String> rows = section(heading);
    TreeSet<String> options = options(builder);
    SoftAssertions softly = new SoftAssertions();
    softly.assertThat(new TreeSet<>(rows.keySet())).as("options of %s in %s", heading, PAGE)
        .isEqualTo(options);
    for (Field f : constants.getFields()) {
      if (!f.getName().startsWith("DEFAULT_") || !Modifier.isStatic(f.getModifiers())) {
        continue;
      }
      String option = optionOf(f.getName());
      softly.assertThat(options).as("the option %s names", f.getName()).contains(option);
      String cell = rows.get(option);
      String expected = written(f);
      softly.assertThat(cell != null && (cell.equals(expected) || cell.startsWith(expected + " (")))
          .as("%s's default in %s is '%s' (%s), but the page says '%s'", option, PAGE, expected,
              f.getName(), cell)
          .isTrue();
    }
    softly.assertAll();
  }

  /** The options table of each {@code ## } section named in backticks: option to default cell. */
  private static Map<String, Map<String, String>> defaultsBySection(List<String> page) {
    Map<String, Map<String, String>> sections = new LinkedHashMap<>();
    Map<String, String> current = null;
    for (String line : page) {
      if (line.startsWith("## ")) {
        int open = line.indexOf('`');
        int close = line.indexOf('`', open + 1);
        current = new LinkedHashMap<>();
        if (open >= 0 && close > open) {
          sections.put(line.substring(open + 1, close), current);
        }
      } else if (current != null && line.startsWith("| `")) {
        String[] cells = line.split("\\|");
        String first = cells[1].strip();
        current.put(first.substring(1, first.indexOf('(')), cells[2].strip());
      }
    }
    return sections;
  }

  /** {@code DEFAULT_MAX_DELAY_MILLIS} to {@code maxDelay}. */
  private static String optionOf(String constant) {
    String[] words = constant.substring("DEFAULT_".length()).replaceAll("_(MILLIS|SECONDS)$", "")
        .toLowerCase(Locale.ROOT).split("_");
    StringBuilder option = new StringBuilder(words[0]);
    for (int i = 1; i < words.length; i++) {
      option.append(Character.toUpperCase(words[i].charAt(0))).append(words[i].substring(1));
    }
    return option.toString();
  }

  /** The constant's value as the page writes it. */
  private static String written(Field constant) {
    Object value;
    try {
      value = constant.get(null);
    } catch (IllegalAccessException e) {
      throw new AssertionError(e);
    }
    String unit = constant.getName().endsWith("_MILLIS") ? " ms"
        : constant.getName().endsWith("_SECONDS") ? " s" : "";
    if (value instanceof Enum<?> e) {
      return "`" + e.name() + "`";
    } else if (value instanceof Double d) {
      return BigDecimal.valueOf(d).stripTrailingZeros().toPlainString() + unit;
    } else {
      return String.format(Locale.ROOT, "%,d", ((Number) value).longValue()) + unit;
    }
  }
}
