package dev.batcher.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.batcher.consumer.LikeStore.Like;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.h2.jdbcx.JdbcConnectionPool;
import org.junit.jupiter.api.Test;

class LikeStoreTest {

  @Test
  void everyLikeIsStoredInFewStatements() throws Exception {
    JdbcConnectionPool pool = JdbcConnectionPool.create("jdbc:h2:mem:likes;DATABASE_TO_LOWER=TRUE", "sa", "");
    try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE likes (post_id BIGINT NOT NULL, user_id BIGINT NOT NULL,"
          + " PRIMARY KEY (post_id, user_id))");

      List<CompletableFuture<Void>> stored = new ArrayList<>();
      LikeStore likes = new LikeStore(pool);
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      likes.bindMetrics(registry);
      try {
        for (long user = 0; user < 1_000; user++) {
          stored.add(likes.add(new Like(42, user)));
        }
      } finally {
        likes.close();
      }

      CompletableFuture.allOf(stored.toArray(CompletableFuture[]::new)).join();
      try (ResultSet rows = s.executeQuery("SELECT COUNT(*) FROM likes WHERE post_id = 42")) {
        rows.next();
        assertEquals(1_000, rows.getLong(1));
      }
      assertEquals(1_000, registry.get("batcher.items").tag("name", "likes")
          .tag("outcome", "succeeded").functionCounter().count());
      long statements = likes.statements();
      assertTrue(statements >= 10 && statements < 1_000,
          "1,000 likes in batches of at most 100 take 10 to a few hundred statements: "
              + statements);
    } finally {
      pool.dispose();
    }
  }

  @Test
  void theSinkFixturesResolveThroughTheBom() {
    dev.batcher.testing.ManualTimeSource clock = new dev.batcher.testing.ManualTimeSource();
    long before = clock.nanoTime();
    clock.advance(java.time.Duration.ofSeconds(1));
    assertEquals(1_000_000_000L, clock.nanoTime() - before);
  }

  @Test
  void runsOnTheModulePath() {
    assertEquals("dev.batcher.consumer", LikeStore.class.getModule().getName());
    assertEquals("dev.batcher.jdbc", dev.batcher.jdbc.JdbcSink.class.getModule().getName());
    assertEquals("dev.batcher.core", dev.batcher.Batcher.class.getModule().getName());
    assertEquals("dev.batcher.micrometer",
        dev.batcher.micrometer.BatcherMetricsBinder.class.getModule().getName());
  }
}
