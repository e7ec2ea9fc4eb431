package dev.batcher.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.batcher.Batcher;
import java.sql.Connection;
import java.sql.JDBCType;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The samples of docs/jdbc.md, run on an in-memory H2: the sink as the page builds it writes a
 * batch, and the dead-letter table as the page builds it stores the item a batch could not write.
 */
class JdbcGuideSamplesTest {
  record Like(long postId, long userId) {
    String toJson() {
      return "{\"postId\":" + postId + ",\"userId\":" + userId + "}";
    }
  }

  private HikariDataSource dataSource;

  @BeforeEach
  void createTable() throws SQLException {
    dataSource = TestDatabases.h2();
    TestDatabases.exec(dataSource, "CREATE TABLE \"likes\" (\"post_id\" BIGINT,"
        + " \"user_id\" BIGINT, PRIMARY KEY (\"post_id\", \"user_id\"))");
  }

  @AfterEach
  void closePool() {
    dataSource.close();
  }

  @Test
  void sinkSample_writesItsBatchesWithMultiRowInserts() throws Exception {
    // tag::jdbc-sink[]
    JdbcSink<Like> sink = JdbcSink.<Like>builder(dataSource)   // a pooled DataSource
        .table("likes")                                           // quoted exactly as given
        .column("post_id", JDBCType.BIGINT, Like::postId)
        .column("user_id", JDBCType.BIGINT, Like::userId)
        .strategy(WriteStrategy.MULTI_ROW)                        // optional: the dialect's default
        .build();                                                 // detects the dialect
    // end::jdbc-sink[]
    try (Batcher<Like> likes = Batcher.builder(sink).maxBatchSize(100)
        .maxDelay(Duration.ofSeconds(10)).build()) {
      for (long user = 0; user < 100; user++) {
        likes.submit(new Like(1, user));
      }
    }
    assertThat(sink.dialect()).isEqualTo(Dialect.H2);
    assertThat(sink.strategy()).isEqualTo(WriteStrategy.MULTI_ROW);
    assertThat(sink.statements()).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM \"likes\"")).isEqualTo(100);
  }

  @Test
  void deadLetterSample_storesTheItemThatBrokeItsBatch() throws Exception {
    JdbcSink<Like> sink = JdbcSink.<Like>builder(dataSource).table("likes")
        .column("post_id", JDBCType.BIGINT, Like::postId)
        .column("user_id", JDBCType.BIGINT, Like::userId)
        .build();
    // tag::jdbc-dead-letters[]
    JdbcDeadLetterTable<Like> deadLetters = JdbcDeadLetterTable.builder(dataSource, Like::toJson)
        .table("likes_dead_letters")
        .createTableIfMissing()
        .build();
    // end::jdbc-dead-letters[]
    try (Batcher<Like> likes = Batcher.builder(sink).deadLetterHandler(deadLetters)
        .maxBatchSize(10).maxDelay(Duration.ofSeconds(10)).build()) {
      for (long user = 0; user < 10; user++) {
        likes.submit(new Like(1, user == 7 ? 3 : user)); // user 3 likes twice
      }
    }
    assertThat(count("SELECT count(*) FROM \"likes\"")).isEqualTo(9);
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT item, sql_state FROM \"likes_dead_letters\"")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(1)).isEqualTo("{\"postId\":1,\"userId\":3}");
      assertThat(rs.getString(2)).isEqualTo("23505");
      assertThat(rs.next()).isFalse();
    }
  }

  private long count(String sql) throws SQLException {
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
