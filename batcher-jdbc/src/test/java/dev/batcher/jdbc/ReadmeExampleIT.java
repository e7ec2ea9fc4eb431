package dev.batcher.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.batcher.Batcher;
import dev.batcher.DeadLetter;
import dev.batcher.InMemoryDeadLetters;
import dev.batcher.ItemWriteException;
import java.sql.Connection;
import java.sql.JDBCType;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The README's example, as written, against a real PostgreSQL: 20,000 likes from 8 threads become
 * a few dozen statements, and a duplicate like is pinpointed and dead-lettered while the rest of
 * its batch is written.
 */
class ReadmeExampleIT {
  private static final Logger log = LoggerFactory.getLogger(ReadmeExampleIT.class);

  // tag::readme[]
  record Like(long postId, long userId) {}

  // end::readme[]

  private HikariDataSource dataSource;
  private final InMemoryDeadLetters<Like> deadLetters = new InMemoryDeadLetters<>();

  @BeforeEach
  void createTable() throws SQLException {
    dataSource = TestDatabases.postgres();
    TestDatabases.exec(dataSource, "DROP TABLE IF EXISTS likes",
        "CREATE TABLE likes (post_id BIGINT, user_id BIGINT, PRIMARY KEY (post_id, user_id))");
  }

  @AfterEach
  void closePool() throws SQLException {
    TestDatabases.exec(dataSource, "DROP TABLE IF EXISTS likes");
    dataSource.close();
  }

  @Test
  void likesFromManyThreads_becomeFewStatements_andADuplicateIsDeadLettered() throws Exception {
    ConcurrentLinkedQueue<CompletableFuture<Void>> all = new ConcurrentLinkedQueue<>();
    CompletableFuture<CompletableFuture<Void>> duplicate = new CompletableFuture<>();
    // tag::readme[]
    JdbcSink<Like> insertLikes = JdbcSink.<Like>builder(dataSource) // a pool: HikariCP
        .table("likes")
        .column("post_id", JDBCType.BIGINT, Like::postId)
        .column("user_id", JDBCType.BIGINT, Like::userId)
        .build(); // one transaction per batch; on PostgreSQL one INSERT ... SELECT FROM unnest(...)

    try (Batcher<Like> likes = Batcher.builder(insertLikes)
        .name("likes")
        .maxBatchSize(1000)
        .maxDelay(Duration.ofMillis(5))
        .deadLetterHandler(deadLetters) // receives the poison items, with their SQLState
        .build()) {
      // from any number of request threads:
      likes.submit(new Like(42, 1001))
          .whenComplete((ok, error) -> { if (error != null) log.warn("like not stored", error); });
      // end::readme[]
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int base = t * 2_500;
        Thread producer = new Thread(() -> {
          for (int i = 0; i < 2_500; i++) {
            all.add(likes.submit(new Like(base + i, 7)));
            if (base == 0 && i == 1_000) { // the same like again, amid others: a key clash
              duplicate.complete(likes.submit(new Like(42, 1001)));
            }
          }
        });
        producer.start();
        threads.add(producer);
      }
      for (Thread t : threads) {
        t.join();
      }
      // tag::readme[]
    } // close() writes everything accepted before it returns
    // end::readme[]
    for (CompletableFuture<Void> f : all) {
      assertThat(f).isCompleted();
    }
    CompletableFuture<Void> clash = duplicate.join();
    assertThat(clash).isCompletedExceptionally();
    assertThat(clash.handle((v, e) -> e).join()).isInstanceOf(ItemWriteException.class);
    assertThat(count()).isEqualTo(20_001);
    List<DeadLetter<Like>> letters = deadLetters.letters();
    assertThat(letters).hasSize(1);
    assertThat(letters.get(0).item()).isEqualTo(new Like(42, 1001));
    assertThat(insertLikes.statements()).as("statements for 20,002 likes")
        .isLessThan(200);
  }

  private long count() throws SQLException {
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM likes")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
