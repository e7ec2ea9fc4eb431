package dev.batcher.redis;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import dev.batcher.Batcher;
import dev.batcher.redis.StreamLikes.Like;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;

/**
 * A worker in another JVM is killed ({@code destroyForcibly}, SIGKILL) after it committed rows
 * whose entries it never acknowledged, with more entries read and not written; a second worker
 * claims the idle entries and finishes: every like is in PostgreSQL exactly once and nothing is
 * pending.
 */
class WorkerCrashIT {
  private static final int LIKES = 2_000;

  private final RedisClient jedis = TestRedis.client("batcher-stream-crash");
  private final HikariDataSource dataSource = TestPostgres.pool();
  private final String prefix = TestRedis.prefix("crash");
  private final String table = TestPostgres.table("crash");
  private Process child;

  @AfterEach
  void cleanUp() throws Exception {
    if (child != null) {
      child.destroyForcibly().waitFor();
    }
    TestRedis.deleteKeys(jedis, prefix);
    jedis.close();
    StreamLikes.dropTable(dataSource, table);
    dataSource.close();
  }

  @Test
  void killedWorker_itsEntriesAreClaimedByAnother_everyLikeWrittenOnce() throws Exception {
    StreamLikes.createTable(dataSource, table);
    String stream = prefix + ":likes";
    String group = "writers";
    try (Batcher<Like> queue = Batcher.builder(
        RedisStreamSink.builder(jedis, stream, StreamLikes.CODEC).build()).build()) {
      for (long id = 0; id < LIKES; id++) {
        queue.submit(new Like(id, 7, id));
      }
    }

    child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), CrashingWorkerMain.class.getName(),
        stream, group, table)
        .redirectError(new File("target/crash-child.err"))
        .start();
    BufferedReader out = new BufferedReader(
        new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
    String line = CompletableFuture.supplyAsync(() -> {
      try {
        for (String l; (l = out.readLine()) != null; ) {
          if (l.startsWith(CrashingWorkerMain.COMMITTED)) {
            return l;
          }
        }
        return "child exited; see target/crash-child.err";
      } catch (java.io.IOException e) {
        return e.toString();
      }
    }).get(60, SECONDS);
    assertThat(line).startsWith(CrashingWorkerMain.COMMITTED);
    child.destroyForcibly().waitFor();

    long committed = StreamLikes.rows(dataSource, table);
    long pending = jedis.xpending(stream, group).getTotal();
    assertThat(committed).as("rows committed before the crash").isPositive().isLessThan(LIKES);
    assertThat(pending).as("entries the dead worker never acknowledged").isPositive();
    assertThat(jedis.xpending(stream, group).getConsumerMessageCount())
        .containsOnlyKeys(CrashingWorkerMain.CONSUMER);

    try (Batcher<Like> toDatabase = Batcher.builder(StreamLikes.sink(dataSource, table)).build();
        StreamWorker<Like> rescuer = StreamWorker.builder(jedis, stream, group,
            StreamLikes.CODEC, toDatabase).consumer("rescuer").block(Duration.ofMillis(100))
            .minIdle(Duration.ofMillis(200)).claimInterval(Duration.ofMillis(50)).build()) {
      await().atMost(60, SECONDS).until(() -> jedis.xpending(stream, group).getTotal() == 0
          && StreamLikes.rows(dataSource, table) == LIKES);
      assertThat(rescuer.deadLettered()).isZero();
      assertThat(rescuer.acked()).as("at least the dead worker's pending entries")
          .isGreaterThanOrEqualTo(pending);
    }
    assertThat(StreamLikes.rows(dataSource, table)).isEqualTo(LIKES);
    assertThat(jedis.xpending(stream, group).getTotal()).isZero();
  }
}
