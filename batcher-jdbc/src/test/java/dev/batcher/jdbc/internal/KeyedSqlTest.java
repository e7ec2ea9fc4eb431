package dev.batcher.jdbc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.jdbc.Dialect;
import java.math.BigDecimal;
import java.sql.JDBCType;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The keyed statements' text per dialect, and how keys compare. */
class KeyedSqlTest {
  record Hit(long post, long user, long n) {}

  private static TableSpec<Hit> table(Dialect d) {
    List<Column<Hit>> cols = List.of(
        new Column<>("post", d.quote("column", "post"), JDBCType.BIGINT, Hit::post),
        new Column<>("user", d.quote("column", "user"), JDBCType.BIGINT, Hit::user),
        new Column<>("n", d.quote("column", "n"), JDBCType.BIGINT, Hit::n));
    return new TableSpec<>(d, "hits", d.quoteTable("hits"), cols, List.of(0, 1));
  }

  @Test
  void upsert_perDialect() {
    assertThat(KeyedSql.upsert(table(Dialect.POSTGRESQL), 2)).isEqualTo(
        "INSERT INTO \"hits\" (\"post\", \"user\", \"n\") VALUES (?, ?, ?), (?, ?, ?)"
            + " ON CONFLICT (\"post\", \"user\") DO UPDATE SET \"n\" = EXCLUDED.\"n\"");
    assertThat(KeyedSql.upsert(table(Dialect.MARIADB), 1)).isEqualTo(
        "INSERT INTO `hits` (`post`, `user`, `n`) VALUES (?, ?, ?)"
            + " ON DUPLICATE KEY UPDATE `n` = VALUES(`n`)");
    assertThat(KeyedSql.upsert(table(Dialect.H2), 1)).isEqualTo(
        "MERGE INTO \"hits\" (\"post\", \"user\", \"n\") KEY (\"post\", \"user\") VALUES (?, ?, ?)");
  }

  @Test
  void insertIgnore_perDialect_mariaDbSkipsOnlyDuplicates() {
    assertThat(KeyedSql.insertIgnore(table(Dialect.POSTGRESQL), 1)).endsWith(
        " ON CONFLICT (\"post\", \"user\") DO NOTHING");
    assertThat(KeyedSql.insertIgnore(table(Dialect.MARIADB), 1))
        .doesNotContain("IGNORE").endsWith(" ON DUPLICATE KEY UPDATE `post` = `post`");
    assertThat(KeyedSql.insertIgnore(table(Dialect.H2), 1)).isEqualTo(
        "MERGE INTO \"hits\" AS batcher_t USING (VALUES (?, ?, ?)) AS batcher_s"
            + " (\"post\", \"user\", \"n\") ON batcher_t.\"post\" = batcher_s.\"post\""
            + " AND batcher_t.\"user\" = batcher_s.\"user\" WHEN NOT MATCHED THEN INSERT"
            + " (\"post\", \"user\", \"n\") VALUES (batcher_s.\"post\", batcher_s.\"user\","
            + " batcher_s.\"n\")");
  }

  @Test
  void pgUnnest_keyedStatements_oneTextForAnyRowCount_rowsInArrayOrder() {
    TableSpec<Hit> t = table(Dialect.POSTGRESQL);
    String call = new UnnestArrays(t.columns()).unnestCall();
    String insert = "INSERT INTO \"hits\" AS batcher_t (\"post\", \"user\", \"n\")"
        + " SELECT batcher_c1, batcher_c2, batcher_c3"
        + " FROM unnest(?::bigint[], ?::bigint[], ?::bigint[]) WITH ORDINALITY"
        + " AS batcher_s (batcher_c1, batcher_c2, batcher_c3, batcher_ord) ORDER BY batcher_ord";
    assertThat(KeyedSql.pgUnnestUpsert(t, call)).isEqualTo(insert
        + " ON CONFLICT (\"post\", \"user\") DO UPDATE SET \"n\" = EXCLUDED.\"n\"");
    assertThat(KeyedSql.pgUnnestInsertIgnore(t, call)).isEqualTo(insert
        + " ON CONFLICT (\"post\", \"user\") DO NOTHING");
    assertThat(KeyedSql.pgUnnestCounterMerge(t, call)).isEqualTo(insert
        + " ON CONFLICT (\"post\", \"user\") DO UPDATE SET \"n\" = batcher_t.\"n\""
        + " + EXCLUDED.\"n\"");
  }

  @Test
  void keyedWriters_useArraysOnPostgresOnly_whenTypesAreCertainAndNoByteBudget() {
    assertThat(KeyedInsertWriter.upsert(table(Dialect.POSTGRESQL), Long.MAX_VALUE).unnestSql())
        .contains("unnest(");
    assertThat(new CounterMergeWriter<>(table(Dialect.POSTGRESQL), Long.MAX_VALUE, false)
        .unnestSql()).contains("unnest(");
    // a byte budget asks for chunks; OTHER may be jsonb or an enum, not certainly uuid
    assertThat(KeyedInsertWriter.insertIgnore(table(Dialect.POSTGRESQL), 4096).unnestSql())
        .isNull();
    TableSpec<Hit> other = new TableSpec<>(Dialect.POSTGRESQL, "hits", "\"hits\"", List.of(
        new Column<>("post", "\"post\"", JDBCType.BIGINT, Hit::post),
        new Column<>("doc", "\"doc\"", JDBCType.OTHER, Hit::user)), List.of(0));
    assertThat(KeyedInsertWriter.upsert(other, Long.MAX_VALUE).unnestSql()).isNull();
    assertThat(KeyedInsertWriter.upsert(table(Dialect.MARIADB), Long.MAX_VALUE).unnestSql())
        .isNull();
    assertThat(new CounterMergeWriter<>(table(Dialect.H2), Long.MAX_VALUE, false).unnestSql())
        .isNull();
  }

  @Test
  void counterMerge_perDialect_adds() {
    assertThat(KeyedSql.counterMerge(table(Dialect.POSTGRESQL), 1)).isEqualTo(
        "INSERT INTO \"hits\" AS batcher_t (\"post\", \"user\", \"n\") VALUES (?, ?, ?)"
            + " ON CONFLICT (\"post\", \"user\") DO UPDATE SET \"n\" = batcher_t.\"n\""
            + " + EXCLUDED.\"n\"");
    assertThat(KeyedSql.counterMerge(table(Dialect.MARIADB), 1)).endsWith(
        " ON DUPLICATE KEY UPDATE `n` = `n` + VALUES(`n`)");
    assertThat(KeyedSql.counterMerge(table(Dialect.H2), 1)).contains(
        " WHEN MATCHED THEN UPDATE SET \"n\" = batcher_t.\"n\" + batcher_s.\"n\""
            + " WHEN NOT MATCHED THEN INSERT");
  }

  @Test
  void lockExisting_postgres_joinsValues_locksTheTableInKeyOrder() {
    assertThat(KeyedSql.lockExisting(table(Dialect.POSTGRESQL), 2)).isEqualTo(
        "SELECT batcher_s.batcher_ord FROM \"hits\" AS batcher_t JOIN (VALUES"
            + " (0, (SELECT \"post\" FROM \"hits\" LIMIT 0),"
            + " (SELECT \"user\" FROM \"hits\" LIMIT 0)), (1, ?, ?),"
            + " (2, ?, ?)) AS batcher_s (batcher_ord, batcher_k1, batcher_k2)"
            + " ON batcher_t.\"post\" = batcher_s.batcher_k1"
            + " AND batcher_t.\"user\" = batcher_s.batcher_k2"
            + " ORDER BY batcher_t.\"post\", batcher_t.\"user\" FOR UPDATE OF batcher_t");
  }

  @Test
  void lockExisting_h2_joinsValues_forUpdateWithoutOf() {
    assertThat(KeyedSql.lockExisting(table(Dialect.H2), 1)).endsWith(
        " ORDER BY batcher_t.\"post\", batcher_t.\"user\" FOR UPDATE");
  }

  @Test
  void lockExisting_mariadb_keysInTheOrderSent_straightJoinTheTable() {
    assertThat(KeyedSql.lockExisting(table(Dialect.MARIADB), 2)).isEqualTo(
        "SELECT batcher_s.batcher_ord FROM (SELECT 1 AS batcher_ord, ? AS batcher_k1,"
            + " ? AS batcher_k2 UNION ALL SELECT 2, ?, ?) AS batcher_s STRAIGHT_JOIN `hits`"
            + " AS batcher_t ON batcher_t.`post` = batcher_s.batcher_k1"
            + " AND batcher_t.`user` = batcher_s.batcher_k2 FOR UPDATE");
  }

  @Test
  void h2_valuesList_castsBinaryParameters() {
    List<Column<byte[][]>> cols = List.of(
        new Column<>("k", "\"k\"", JDBCType.VARBINARY, r -> r[0]),
        new Column<>("n", "\"n\"", JDBCType.BIGINT, r -> r[1]));
    TableSpec<byte[][]> t = new TableSpec<>(Dialect.H2, "b", "\"b\"", cols, List.of(0));
    assertThat(KeyedSql.counterMerge(t, 1)).contains("USING (VALUES (CAST(? AS VARBINARY), ?))");
    assertThat(KeyedSql.lockExisting(t, 1)).contains("(VALUES (1, CAST(? AS VARBINARY)))");
  }

  @Test
  void keys_compareByValue_acrossNumberTypes() {
    assertThat(KeyedRows.normalize(JDBCType.BIGINT, 7)).isEqualTo(7L);
    assertThat(KeyedRows.normalize(JDBCType.NUMERIC, new BigDecimal("7.00"))).isEqualTo(7L);
    assertThat(KeyedRows.normalize(JDBCType.NUMERIC, new BigDecimal("7.50")))
        .isEqualTo(new BigDecimal("7.5"));
    assertThat(KeyedRows.ORDER.compare(Arrays.asList(1L, "b"), Arrays.asList(1L, "a")))
        .isPositive();
    assertThat(KeyedRows.ORDER.compare(Arrays.asList((Object) null), Arrays.asList(0L)))
        .isNegative();
  }

  @Test
  void deltas_sumAsLongOrDecimal() {
    assertThat(CounterMergeWriter.add(1, 2L)).isEqualTo(3L);
    assertThat(CounterMergeWriter.add(1L, new BigDecimal("0.5"))).isEqualTo(new BigDecimal("1.5"));
    assertThat(CounterMergeWriter.add(null, 2L)).isNull();
  }
}
