package dev.batcher.redis.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.redis.RedisSink;
import dev.batcher.redis.RedisStreamSink;
import dev.batcher.redis.StreamWorker;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docs/configuration.md lists every option of {@link RedisSink.Builder}, {@link
 * RedisStreamSink.Builder} and {@link StreamWorker.Builder} with the default its
 * {@code DEFAULT_*} constant holds, as batcher-jdbc's {@code ConfigurationDocTest} checks the
 * builders it sees (this module is not among them).
 */
class RedisConfigurationDocTest {
  private static final Path PAGE =
      Path.of(System.getProperty("basedir", "")).toAbsolutePath().resolveSibling("docs")
          .resolve("configuration.md");
  private static final Pattern ROW = Pattern.compile("^\\| `(\\w+)\\(([^)]*)\\)` \\| ([^|]+) \\|");

  @Test
  void redisSinkBuilder_everyOptionAndDefault() throws IOException {
    Map<String, String> rows = section("RedisSink.Builder");

    assertThat(new TreeSet<>(rows.keySet())).as("options of RedisSink.Builder in %s", PAGE)
        .isEqualTo(options(RedisSink.Builder.class));
    assertThat(rows.get("transactional"))
        .isEqualTo(String.valueOf(RedisSink.Builder.DEFAULT_TRANSACTIONAL));
  }

  @Test
  void redisStreamSinkBuilder_everyOptionAndDefault() throws IOException {
    Map<String, String> rows = section("RedisStreamSink.Builder");
    assertThat(new TreeSet<>(rows.keySet())).isEqualTo(options(RedisStreamSink.Builder.class));
    assertThat(rows.get("maxLength"))
        .isEqualTo(String.valueOf(RedisStreamSink.Builder.DEFAULT_MAX_LENGTH));
  }

  @Test
  void streamWorkerBuilder_everyOptionAndDefault() throws IOException {
    Map<String, String> rows = section("StreamWorker.Builder");
    assertThat(new TreeSet<>(rows.keySet())).isEqualTo(options(StreamWorker.Builder.class));
    assertThat(rows.get("readCount"))
        .isEqualTo(String.valueOf(StreamWorker.Builder.DEFAULT_READ_COUNT));
    assertThat(rows.get("block")).isEqualTo(StreamWorker.Builder.DEFAULT_BLOCK_MILLIS + " ms");
    assertThat(rows.get("maxUnacked"))
        .isEqualTo(String.valueOf(StreamWorker.Builder.DEFAULT_MAX_UNACKED));
    assertThat(rows.get("minIdle"))
        .isEqualTo(StreamWorker.Builder.DEFAULT_MIN_IDLE_SECONDS + " s");
    assertThat(rows.get("claimInterval"))
        .isEqualTo(StreamWorker.Builder.DEFAULT_CLAIM_INTERVAL_SECONDS + " s");
    assertThat(rows.get("maxDeliveries"))
        .isEqualTo(String.valueOf(StreamWorker.Builder.DEFAULT_MAX_DELIVERIES));
  }

  /** The public options of {@code builder}: its public methods but {@code build}. */
  private static TreeSet<String> options(Class<?> builder) {
    TreeSet<String> options = new TreeSet<>();
    for (Method m : builder.getDeclaredMethods()) {
      if (Modifier.isPublic(m.getModifiers()) && !m.getName().equals("build")) {
        options.add(m.getName());
      }
    }
    return options;
  }

  /** The option rows of the section whose heading names {@code builder}: option to default. */
  private static Map<String, String> section(String builder) throws IOException {
    List<String> lines = Files.readAllLines(PAGE);
    Map<String, String> rows = new LinkedHashMap<>();
    boolean inside = false;
    for (String line : lines) {
      if (line.startsWith("## ")) {
        inside = line.startsWith("## `" + builder + "`");
        continue;
      }
      Matcher row = ROW.matcher(line);
      if (inside && row.find()) {
        rows.put(row.group(1), row.group(3).strip());
      }
    }
    assertThat(rows).as("rows of the %s section in %s", builder, PAGE).isNotEmpty();
    return rows;
  }
}
