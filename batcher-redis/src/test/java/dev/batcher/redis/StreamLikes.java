package dev.batcher.redis;

import dev.batcher.jdbc.JdbcSink;
import dev.batcher.jdbc.WriteStrategy;
import java.sql.JDBCType;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * The likes the stream tests queue: a record with a unique id, its codec, its table (the id is
 * the primary key; a negative user id violates a CHECK, a permanent error) and its
 * effectively-once sink (INSERT_IGNORE keyed on the id).
 */
final class StreamLikes {
  record Like(long id, long postId, long userId) {}

  static final StreamCodec<Like> CODEC = StreamCodec.ofString(
      like -> like.id() + ":" + like.postId() + ":" + like.userId(), StreamLikes::parse);

  private StreamLikes() {}

  static Like parse(String s) {
    String[] parts = s.split(":");
    if (parts.length != 3) {
      throw new IllegalArgumentException("not a like: '" + s + "'");
    }
    return new Like(Long.parseLong(parts[0]), Long.parseLong(parts[1]), Long.parseLong(parts[2]));
  }

  static void createTable(DataSource ds, String table) throws SQLException {
    TestPostgres.exec(ds, "CREATE TABLE " + table + " (id BIGINT PRIMARY KEY,"
        + " post_id BIGINT NOT NULL, user_id BIGINT NOT NULL CHECK (user_id >= 0))");
  }

  static void dropTable(DataSource ds, String table) throws SQLException {
    TestPostgres.exec(ds, "DROP TABLE IF EXISTS " + table);
  }

  static JdbcSink<Like> sink(DataSource ds, String table) {
    return JdbcSink.<Like>builder(ds)
        .table(table)
        .column("id", JDBCType.BIGINT, Like::id)
        .column("post_id", JDBCType.BIGINT, Like::postId)
        .column("user_id", JDBCType.BIGINT, Like::userId)
        .keyColumns("id")
        .strategy(WriteStrategy.INSERT_IGNORE)
        .build();
  }

  /** {@return the rows of {@code table}, and fails if an id is there twice} */
  static long rows(DataSource ds, String table) throws SQLException {
    long rows = TestPostgres.number(ds, "SELECT count(*) FROM " + table);
    long ids = TestPostgres.number(ds, "SELECT count(DISTINCT id) FROM " + table);
    if (rows != ids) {
      throw new AssertionError(rows + " rows but " + ids + " ids in " + table);
    }
    return rows;
  }
}
