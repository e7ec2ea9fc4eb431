package dev.batcher.benchmarks.results;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PgLogProfileTest {
  private static final String P = "2026-11-29 17:33:13.488 UTC ";

  @Test
  void profile_countsOnlyTheBenchmarksBackends_perCommittedBatch() {
    List<String> log = List.of(
        P + "[810] postgres@test LOG:  duration: 11.0 ms  statement: CREATE TABLE \"bench_rows\"",
        // two batches of one backend: COPY then COMMIT (extended protocol: parse once)
        P + "[810] postgres@test LOG:  duration: 0.020 ms  statement: BEGIN",
        P + "[810] postgres@test LOG:  duration: 3.000 ms  statement: COPY \"bench_rows\" (id)"
            + " FROM STDIN",
        P + "[810] postgres@test LOG:  duration: 0.030 ms  parse <unnamed>: COMMIT",
        P + "[810] postgres@test LOG:  duration: 0.010 ms  bind <unnamed>: COMMIT",
        P + "[810] postgres@test LOG:  duration: 2.000 ms  execute <unnamed>: COMMIT",
        P + "[810] postgres@test LOG:  duration: 0.020 ms  statement: BEGIN",
        P + "[810] postgres@test LOG:  duration: 5.000 ms  statement: COPY \"bench_rows\" (id)"
            + " FROM STDIN",
        P + "[810] postgres@test LOG:  duration: 0.010 ms  bind S_1: COMMIT",
        P + "[810] postgres@test LOG:  duration: 1.960 ms  execute S_1: COMMIT",
        // another session of the same server: not counted
        P + "[999] postgres@test LOG:  duration: 50.000 ms  execute <unnamed>: COMMIT");

    PgLogProfile.Profile p = PgLogProfile.profile("copy", log, 200_000, 1000);

    assertThat(p.batches()).isEqualTo(2);
    assertThat(p.perBatch("data")).isEqualTo(4.0);
    assertThat(p.perBatch("COMMIT")).isEqualTo(2.005);
    assertThat(p.wallPerBatch()).isEqualTo(5.0);
    assertThat(PgLogProfile.render(List.of(p))).contains(
        "| copy | 200 k | 5.00 | 4.00 | 2.01 | 0.02 | -1.02 |");
  }

  @Test
  void profile_autocommittedBatches_areCountedByTheirStatement() {
    // one INSERT per batch in autocommit: no BEGIN, no COMMIT
    List<String> log = List.of(
        P + "[811] postgres@test LOG:  duration: 0.300 ms  parse <unnamed>: INSERT INTO"
            + " \"bench_rows\" (id) SELECT * FROM unnest($1::bigint[])",
        P + "[811] postgres@test LOG:  duration: 0.100 ms  bind S_1: INSERT INTO \"bench_rows\"",
        P + "[811] postgres@test LOG:  duration: 2.000 ms  execute S_1: INSERT INTO"
            + " \"bench_rows\"",
        P + "[811] postgres@test LOG:  duration: 0.100 ms  bind S_1: INSERT INTO \"bench_rows\"",
        P + "[811] postgres@test LOG:  duration: 1.500 ms  execute S_1: INSERT INTO"
            + " \"bench_rows\"");

    PgLogProfile.Profile p = PgLogProfile.profile("unnest", log, 500_000, 1000);

    assertThat(p.batches()).isEqualTo(2);
    assertThat(p.perBatch("data")).isEqualTo(2.0);
    assertThat(p.perBatch("COMMIT")).isZero();
  }

  @Test
  void jdbcReport_givesTheProfileItsSection() throws Exception {
    Run run = new Run("run 1", List.of(), List.of(),
        new java.util.LinkedHashMap<>());
    String md = JdbcReport.render(run, "img", new ArrayList<>(), "| run | rows/s |\n");
    assertThat(md).contains("## Where a batch's time goes (PostgreSQL)")
        .contains("| run | rows/s |");
  }
}
