package dev.batcher.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.BatchResult;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** UPSERT, INSERT_IGNORE and COUNTER_MERGE on POSTGRESQL. */
class PostgresKeyedStrategiesIT extends KeyedStrategiesTests {
  @Override
  Dialect dialect() {
    return Dialect.POSTGRESQL;
  }

  @Test
  void upsert_textPostgresCannotStore_failsItsItemAlone_othersSentAgain() throws Exception {
    // Sent as arrays, in key order, one row per key: the NUL is found while encoding row 0
    // (key 3), which is item 1 of the batch; item 0 (key 5) is superseded by item 2.
    JdbcSink<Item> sink = itemSink(WriteStrategy.UPSERT);
    BatchResult r = sink.write(List.of(item(5, "a"), item(3, "b\0"), item(5, "c")));

    assertThat(r.outcome(1)).isEqualTo(BatchResult.Outcome.FAILED_PERMANENTLY);
    assertThat(((SQLException) r.cause(1)).getSQLState()).isEqualTo("22021");
    assertThat(r.outcome(0)).isEqualTo(BatchResult.Outcome.NOT_ATTEMPTED);
    assertThat(r.outcome(2)).isEqualTo(BatchResult.Outcome.NOT_ATTEMPTED);
    assertThat(names()).isEmpty(); // rolled back; the batcher sends items 0 and 2 again
    assertThat(sink.write(List.of(item(5, "a"), item(5, "c"))).isSuccess()).isTrue();
    assertThat(names()).containsExactly(Map.entry(5L, "c"));
  }

  private static Item item(long id, String name) {
    return new Item(id, name, null);
  }
}
