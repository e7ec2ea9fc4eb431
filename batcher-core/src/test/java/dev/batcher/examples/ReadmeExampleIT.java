package dev.batcher.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.BatchResult;
import dev.batcher.BatchSink;
import dev.batcher.Batcher;
import dev.batcher.BatcherMetrics;
import dev.batcher.InMemoryDeadLetters;
import dev.batcher.ItemWriteException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The README's example, run as written against a real PostgreSQL: likes from many threads become
 * multi-row transactions, and a duplicate like (a primary-key violation) is isolated and
 * dead-lettered while the rest of its batch is written.
 */
class ReadmeExampleIT {
  record Like(long postId, long userId) {}

  private DataSource dataSource;

  @BeforeEach
  void createTable() throws SQLException {
    dataSource = TestDatabases.postgres();
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS readme_likes");
      s.execute("CREATE TABLE readme_likes (post_id BIGINT, user_id BIGINT,"
          + " PRIMARY KEY (post_id, user_id))");
    }
  }

  // tag::custom-sink[]
  BatchSink<Like> insertLikes() {
    return BatchSink.atomic(likes -> { // atomic: one transaction per batch, all or nothing
      try (Connection c = dataSource.getConnection()) {
        c.setAutoCommit(false);
        try (PreparedStatement ps = c.prepareStatement(
            "INSERT INTO readme_likes (post_id, user_id) VALUES (?, ?)")) {
          for (Like like : likes) {
            ps.setLong(1, like.postId());
            ps.setLong(2, like.userId());
            ps.addBatch();
          }
          ps.executeBatch();
          c.commit();
        } catch (SQLException e) {
          c.rollback();
          throw e;
        }
      }
      return BatchResult.success();
    });
  }
  // end::custom-sink[]

  @Test
  void likesFromManyThreadsAreWrittenInBatches() throws Exception {
    ConcurrentLinkedQueue<CompletableFuture<Void>> all = new ConcurrentLinkedQueue<>();
    BatcherMetrics metrics;
    try (Batcher<Like> likes = Batcher.builder(insertLikes())
        .name("likes")
        .maxBatchSize(500)
        .maxDelay(Duration.ofMillis(5))
        .build()) {
      List<Thread> requests = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        long user = t;
        Thread thread = new Thread(() -> {
          for (long post = 0; post < 2_500; post++) {
            all.add(likes.submit(new Like(post, user)));
          }
        });
        requests.add(thread);
        thread.start();
      }
      for (Thread thread : requests) {
        thread.join();
      }
      likes.flush().join();
      metrics = likes.metrics();
    }
    assertThat(all).hasSize(20_000).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
    assertThat(count()).isEqualTo(20_000);
    assertThat(metrics.totalBatches()).isLessThan(20_000 / 10); // batched, not one by one
  }

  @Test
  void aDuplicateIsDeadLetteredAndTheRestOfItsBatchIsWritten() throws Exception {
    InMemoryDeadLetters<Like> dead = new InMemoryDeadLetters<>();
    List<CompletableFuture<Void>> futures = new ArrayList<>();
    try (Batcher<Like> likes = Batcher.builder(insertLikes()).name("likes")
        .maxBatchSize(100).maxDelay(Duration.ofSeconds(10)).maxDelayJitter(0)
        .deadLetterHandler(dead).idFunction(l -> l.postId() + ":" + l.userId()).build()) {
      for (long user = 0; user < 100; user++) {
        futures.add(likes.submit(new Like(1, user == 57 ? 3 : user))); // user 3 likes twice
      }
    }
    assertThat(count()).isEqualTo(99);
    assertThat(dead.items()).containsExactly(new Like(1, 3));
    assertThat(dead.letters().get(0).id()).isEqualTo("1:3");
    assertThat(dead.letters().get(0).cause()).isInstanceOf(SQLException.class)
        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("23505"));
    assertThat(futures.get(57)).failsWithin(Duration.ZERO)
        .withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .withCauseInstanceOf(ItemWriteException.class);
  }

  private long count() throws SQLException {
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM readme_likes")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
