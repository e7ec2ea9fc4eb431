package dev.batcher.benchmarks.results;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fixture is a trimmed smoke run ({@code -wi 0 -i 1 -r 1}) on PostgreSQL: strategies
 * JDBC_BATCH, MULTI_ROW and COPY at batch sizes 10 and 1,000, and the counter at 1 and 100 posts.
 */
class JdbcReportTest {

  private static Path fixture() throws URISyntaxException {
    return Paths.get(JdbcReportTest.class.getResource("/results/jdbc-run1/counter.json").toURI())
        .getParent();
  }

  @Test
  void render_writesTablesTargetsAndCounter() throws Exception {
    Run run = Run.read(fixture(), "run 1");
    List<Chart> charts = new ArrayList<>();

    String md = JdbcReport.render(run, "img", charts);

    assertThat(md).contains("# JDBC benchmark results")
        .contains("| machine | Test CPU, 2 cores, 8 GiB, Linux 6.1 |")
        .contains("| JMH settings | 1 fork, 0 × 1 s warm-up, 1 × 1 s measured |")
        .contains("java -jar benchmarks/target/benchmarks.jar Counter -p database=postgres")
        // rows/s: strategies down, batch sizes across, then the two baselines
        .contains("| rows/s \\ batch size | 10 | 1000 |\n|---|---:|---:|\n"
            + "| JDBC_BATCH, through the batcher | 8.74 k | 54.8 k |\n")
        .contains("| MULTI_ROW, raw | 13.1 k | 117 k |")
        .contains("| baseline: pgjdbc `reWriteBatchedInserts`, executeBatch + commit per batch"
            + " | 7.56 k | 108 k |")
        .contains("| baseline: one INSERT per row, autocommit (no batch) | 2.39 k | 2.39 k |")
        // MULTI_ROW sends one statement per batch
        .contains("| MULTI_ROW, through the batcher | 100 | 1.00 |")
        .contains("| baseline: autocommit | 1000 | 1000 |")
        // MULTI_ROW is best at 1,000: 87,575 rows/s; autocommit 2,387.5, raw 116,720,
        // rewrite 107,869
        .contains("| best strategy through the batcher at batch 1,000 (MULTI_ROW) ≥ 100× autocommit"
            + " | 36.68× | missed |")
        .contains("| MULTI_ROW through the batcher ≥ 0.85× the same sink called directly, batch"
            + " 1,000 | 0.75× | missed |")
        .contains("| MULTI_ROW through the batcher ≥ 1.30× pgjdbc's rewritten JDBC batch, batch"
            + " 1,000 | 0.81× | missed |")
        // 1,976,083.6 likes/s and 104.7 statements/s at 100 posts
        .contains("| counter merge: statements per like, likes over 100 posts ≤ 1/500 | 1/18874"
            + " | met |")
        .contains("| counter merge: likes/s merged ≥ 100× one UPDATE per like, 100 posts"
            + " | 830.36× | met |")
        .contains("| 100 | 1.98 M | 2.38 k | 830.36× | 1/18874 |")
        .contains("![Rows/s by batch size, through the batcher (postgres)](img/jdbc-write.png)");
    assertThat(charts).extracting(Chart::file)
        .containsExactly("jdbc-write.png", "jdbc-counter.png");
  }

  @Test
  void render_withoutCounterRun_saysTargetsAreNotInIt(@TempDir Path tmp) throws Exception {
    Files.copy(fixture().resolve("jdbc-autocommit.json"), tmp.resolve("jdbc-autocommit.json"));
    Run run = Run.read(tmp, "run 1");

    String md = JdbcReport.render(run, "img", new ArrayList<>());

    assertThat(md).contains("| counter merge: likes/s merged ≥ 100× one UPDATE per like, 100 posts"
            + " | n/a | n/a (not in this run) |")
        .doesNotContain("## Counters");
  }

  @Test
  void verdict_boundIsInclusive() {
    assertThat(JdbcReport.verdict(100, 100, true)).isEqualTo("met");
    assertThat(JdbcReport.verdict(99.9, 100, true)).isEqualTo("missed");
    assertThat(JdbcReport.verdict(1.0 / 500, 1.0 / 500, false)).isEqualTo("met");
    assertThat(JdbcReport.verdict(0.0021, 1.0 / 500, false)).isEqualTo("missed");
  }

  @Test
  void main_writesPageAndPngCharts(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("docs/results-jdbc.md");
    JdbcReport.main(new String[] {
        "--jdbc-run", fixture().toString(), "--out", out.toString(),
        "--img", tmp.resolve("docs/img").toString()});

    assertThat(Files.readString(out, StandardCharsets.UTF_8))
        .contains("(img/jdbc-counter.png)");
    for (String png : List.of("jdbc-write.png", "jdbc-counter.png")) {
      assertThat(Files.readAllBytes(tmp.resolve("docs/img").resolve(png)))
          .startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
    }
  }

  @Test
  void resultsPage_linksJdbcPageOnceItExists(@TempDir Path tmp) throws Exception {
    Path core = Paths.get(ResultsReportTest.class.getResource("/results/run1/throughput.json")
        .toURI()).getParent();
    Path out = tmp.resolve("docs/results.md");
    String[] args = {"--run", core.toString(), "--out", out.toString(),
        "--img", tmp.resolve("docs/img").toString()};
    ResultsReport.main(args);
    assertThat(Files.readString(out, StandardCharsets.UTF_8)).doesNotContain("results-jdbc.md");

    Files.writeString(tmp.resolve("docs/results-jdbc.md"), "# JDBC", StandardCharsets.UTF_8);
    ResultsReport.main(args);
    assertThat(Files.readString(out, StandardCharsets.UTF_8))
        .contains("own page: [results-jdbc.md](results-jdbc.md).");
  }

  @Test
  void render_manyDatabases_givesEachItsTablesAndCharts_andTwoInFlightRows(@TempDir Path tmp)
      throws Exception {
    // the fixture as PostgreSQL, again as MariaDB, and its batcher rows again with 2 in flight
    for (String f : List.of("jdbc-write.json", "jdbc-rewrite.json", "jdbc-autocommit.json",
        "counter.json")) {
      String json = Files.readString(fixture().resolve(f), StandardCharsets.UTF_8);
      Files.writeString(tmp.resolve(f), json, StandardCharsets.UTF_8);
      Files.writeString(tmp.resolve("mariadb-" + f),
          json.replace("\"database\": \"postgres\"", "\"database\": \"mariadb\""),
          StandardCharsets.UTF_8);
    }
    String twoInFlight = Files.readString(fixture().resolve("jdbc-write.json"),
        StandardCharsets.UTF_8).replace("\"mode\": \"batcher\",",
        "\"inFlight\": \"2\",\n      \"mode\": \"batcher\",");
    // twice the score, so the in-flight rows are told apart from the others
    Files.writeString(tmp.resolve("jdbc-inflight.json"),
        twoInFlight.replace("\"score\": 87575.", "\"score\": 175150."), StandardCharsets.UTF_8);
    Run run = Run.read(tmp, "run 1");
    List<Chart> charts = new ArrayList<>();

    String md = JdbcReport.render(run, "img", charts);

    assertThat(JdbcReport.databases(run)).containsExactly("postgres", "mariadb");
    assertThat(md).contains("## Rows per second by strategy and batch size\n")
        .contains("## Rows per second by strategy and batch size: MariaDB")
        .contains("| baseline: MariaDB Connector/J's JDBC batch, executeBatch + commit per batch"
            + " | 7.56 k | 108 k |")
        .contains("| MULTI_ROW, through the batcher, 2 in flight | ")
        .contains("## Counters: a burst of likes, MariaDB")
        // the targets are PostgreSQL's, with one row more for 2 in flight
        .contains("| best strategy through the batcher at batch 1,000 (MULTI_ROW) ≥ 100× autocommit"
            + " | 36.68× | missed |")
        .contains("| the same with 2 batches in flight (MULTI_ROW) ≥ 100× autocommit | 73.36× |"
            + " missed |");
    assertThat(charts).extracting(Chart::file).containsExactly("jdbc-write.png",
        "jdbc-write-mariadb.png", "jdbc-counter.png", "jdbc-counter-mariadb.png");
  }

  @Test
  void main_withoutRun_isRejected() {
    assertThatThrownBy(() -> JdbcReport.main(new String[0]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("give --jdbc-run DIR of JMH JSON results");
  }
}
