package dev.batcher.jdbc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.jdbc.Dialect;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.JDBCType;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * The rows a counter-merge batch sends are in key order, whatever the batch's order: what keeps
 * two concurrent batches over the same keys from deadlocking. Checked on the values bound, so it
 * does not depend on two statements happening to overlap on a real database.
 */
class CounterMergeWriterTest {
  private static final List<Column<long[]>> COLUMNS = List.of(
      new Column<>("id", "\"id\"", JDBCType.BIGINT, r -> r[0]),
      new Column<>("n", "\"n\"", JDBCType.BIGINT, r -> r[1]));

  @Test
  void write_shuffledBatchWithRepeatedKeys_bindsOneRowPerKeyInKeyOrder() throws Exception {
    for (Dialect dialect : List.of(Dialect.MARIADB, Dialect.H2)) {
      List<long[]> batch = shuffledDeltas(500);
      List<List<Long>> sent = new ArrayList<>();
      new CounterMergeWriter<>(table(dialect), Long.MAX_VALUE, false)
          .write(recording(sent), batch, new StatementCounts());

      assertThat(sent).as("%s statements", dialect).hasSize(1);
      assertThat(sent.get(0)).as(dialect.name()).isEqualTo(expectedRows(500));
    }
  }

  @Test
  void write_inSeveralChunks_eachChunkInKeyOrderAndChunksInKeyOrder() throws Exception {
    List<long[]> batch = shuffledDeltas(500);
    List<List<Long>> sent = new ArrayList<>();
    new CounterMergeWriter<>(table(Dialect.MARIADB), 1_000, false)
        .write(recording(sent), batch, new StatementCounts());

    assertThat(sent).hasSizeGreaterThan(2);
    assertThat(sent.stream().flatMap(List::stream).toList()).isEqualTo(expectedRows(500));
  }

  @Test
  void onePerKey_shuffledLongKeys_inKeyOrder() {
    List<long[]> batch = shuffledDeltas(500);
    List<Long> keys = KeyedRows.onePerKey(table(Dialect.POSTGRESQL), batch, true).stream()
        .map(i -> batch.get(i)[0]).toList();
    assertThat(keys).isEqualTo(LongStream.range(-250, 250).boxed().toList());
  }

  private static TableSpec<long[]> table(Dialect dialect) {
    return new TableSpec<>(dialect, "c", "\"c\"", COLUMNS, List.of(0));
  }

  /** Keys -250..249, each with deltas 1 and 2, shuffled with a fixed seed. */
  private static List<long[]> shuffledDeltas(int keys) {
    List<long[]> batch = new ArrayList<>();
    for (long k = -keys / 2; k < keys / 2; k++) {
      batch.add(new long[] {k, 1});
      batch.add(new long[] {k, 2});
    }
    Collections.shuffle(batch, new Random(42));
    return batch;
  }

  /** The bound values expected: id, summed delta 3, ids ascending. */
  private static List<Long> expectedRows(int keys) {
    return IntStream.range(-keys / 2, keys / 2)
        .boxed().flatMap(k -> java.util.stream.Stream.of((long) k, 3L)).toList();
  }

  /** A connection whose statements record, per statement, the values bound in parameter order. */
  private static Connection recording(List<List<Long>> sent) {
    return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(),
        new Class<?>[] {Connection.class}, (proxy, m, args) -> {
          if (!m.getName().equals("prepareStatement")) {
            throw new UnsupportedOperationException(m.getName());
          }
          List<Long> bound = new ArrayList<>();
          sent.add(bound);
          return Proxy.newProxyInstance(PreparedStatement.class.getClassLoader(),
              new Class<?>[] {PreparedStatement.class}, (ps, sm, sargs) -> {
                switch (sm.getName()) {
                  case "setObject" -> {
                    assertThat((int) sargs[0]).isEqualTo(bound.size() + 1);
                    bound.add(((Number) sargs[1]).longValue());
                    return null;
                  }
                  case "executeUpdate" -> {
                    return bound.size() / 2;
                  }
                  case "close" -> {
                    return null;
                  }
                  default -> throw new UnsupportedOperationException(sm.getName());
                }
              });
        });
  }
}
