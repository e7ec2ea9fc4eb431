package dev.batcher.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.JDBCType;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * COPY's text-format escaping, by property: thousands of random strings made of the characters
 * that matter (tab, newline, CR, backslash, {@code \N}, {@code \.}, quotes, spaces, astral code
 * points) and plain ASCII, written by COPY and by ONE_BY_ONE (bound parameters, no escaping) into
 * two tables, read back identical to the input, byte for byte in UTF-8.
 *
 * <p>The generator is seeded; the seed is in every failure message (and logged at INFO), and
 * {@code -Dbatcher.copy.seed=N} replays it.
 */
class PostgresCopyEscapingIT {
  /** Measured facts, at INFO: written to target/test.log (see logback-test.xml). */
  private static final Logger LOG = LoggerFactory.getLogger(PostgresCopyEscapingIT.class);

  private static final int STRINGS = 5_000;
  private static final String[] PIECES = {"\t", "\n", "\r", "\\", "\\N", "\\.", "\\\\", "\"",
      "'", " ", "\r\n", "\\t", "N", ".", ",", "|", "\uD83D\uDE00", "\uD834\uDD1E",
      "\uDBFF\uDFFF", "\u00e9", "\u4e2d", "\u200b", "\uFEFF"};

  record Text(long id, @Nullable String text) {}

  private final String copyTable = "copy_escape_" + ProcessHandle.current().pid();
  private final String plainTable = "plain_escape_" + ProcessHandle.current().pid();
  private HikariDataSource ds;

  @BeforeEach
  void createTables() throws Exception {
    ds = TestDatabases.postgres();
    for (String t : List.of(copyTable, plainTable)) {
      TestDatabases.exec(ds, "DROP TABLE IF EXISTS " + t,
          "CREATE TABLE " + t + " (id bigint primary key, text text)");
    }
  }

  @AfterEach
  void dropTables() throws Exception {
    TestDatabases.exec(ds, "DROP TABLE IF EXISTS " + copyTable, "DROP TABLE IF EXISTS "
        + plainTable);
    ds.close();
  }

  @Test
  void randomText_readsBackByteForByte_asWrittenOneByOne() throws Exception {
    long seed = Long.getLong("batcher.copy.seed", System.nanoTime());
    LOG.info("PostgresCopyEscapingIT seed: " + seed
        + " (replay with -Dbatcher.copy.seed=" + seed + ")");
    SplittableRandom random = new SplittableRandom(seed);
    List<Text> in = new ArrayList<>(STRINGS);
    for (int i = 0; i < STRINGS; i++) {
      in.add(new Text(i, random.nextInt(50) == 0 ? null : randomText(random)));
    }

    assertThat(sink(copyTable, WriteStrategy.COPY).write(in).isSuccess()).isTrue();
    assertThat(sink(plainTable, WriteStrategy.ONE_BY_ONE).write(in).isSuccess()).isTrue();

    Map<Long, byte @Nullable []> copied = readBack(copyTable);
    Map<Long, byte @Nullable []> plain = readBack(plainTable);
    assertThat(copied).hasSize(STRINGS);
    for (Text t : in) {
      byte[] expected = t.text() == null ? null : t.text().getBytes(StandardCharsets.UTF_8);
      assertThat(copied.get(t.id())).as("COPY, seed %s, id %s: %s", seed, t.id(),
          t.text()).isEqualTo(expected);
      assertThat(plain.get(t.id())).as("ONE_BY_ONE, seed %s, id %s", seed, t.id())
          .isEqualTo(expected);
    }
  }

  private static String randomText(SplittableRandom random) {
    int pieces = random.nextInt(random.nextInt(10) == 0 ? 200 : 12);
    StringBuilder sb = new StringBuilder();
    for (int p = 0; p < pieces; p++) {
      if (random.nextBoolean()) {
        sb.append(PIECES[random.nextInt(PIECES.length)]);
      } else if (random.nextInt(8) == 0) {
        sb.appendCodePoint(random.nextInt(0x10000, 0x110000)); // any astral code point
      } else {
        sb.append((char) random.nextInt(0x20, 0x7f)); // printable ASCII
      }
    }
    return sb.toString();
  }

  private JdbcSink<Text> sink(String table, WriteStrategy strategy) {
    return JdbcSink.<Text>builder(ds).table(table)
        .column("id", JDBCType.BIGINT, Text::id)
        .column("text", JDBCType.VARCHAR, Text::text)
        .strategy(strategy)
        .build();
  }

  private Map<Long, byte @Nullable []> readBack(String table) throws Exception {
    Map<Long, byte @Nullable []> out = new HashMap<>();
    try (Connection c = ds.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT id, convert_to(text, 'UTF8') FROM " + table)) {
      while (rs.next()) {
        out.put(rs.getLong(1), rs.getBytes(2));
      }
    }
    return out;
  }
}
