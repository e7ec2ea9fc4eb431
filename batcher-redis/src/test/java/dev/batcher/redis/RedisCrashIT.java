package dev.batcher.redis;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.Batcher;
import dev.batcher.redis.StreamLikes.Like;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.resps.StreamEntry;

/**
 * A Redis <em>process</em> that is killed (SIGKILL) right after the producer's futures completed
 * still has every entry when it restarts, with {@code appendonly yes}. This proves survival of a
 * crash of the Redis process only: what Redis wrote is in the operating system's page cache, so
 * the test passes with any {@code appendfsync}, {@code no} included. Surviving a crash of the
 * machine needs {@code appendfsync always}, which is set here as the documented configuration but
 * cannot be tested without losing the machine. Runs its own {@code redis-server} ({@link OwnRedis})
 * with its append-only file in a temporary directory.
 */
class RedisCrashIT {
  private static final int LIKES = 3_000;

  @TempDir
  Path dir;

  @Test
  void killedRedisProcess_withAppendOnlyFile_keepsEveryCompletedEntry() throws Exception {
    try (OwnRedis redis = OwnRedis.start("crash", null, "--appendonly", "yes",
        "--appendfsync", "always", "--dir", dir.toString())) {
      List<CompletableFuture<Void>> inRedis = new ArrayList<>();
      try (RedisClient jedis = redis.client("default", null);
          Batcher<Like> queue = Batcher.builder(
              RedisStreamSink.builder(jedis, "likes", StreamLikes.CODEC).build())
              .maxBatchSize(200).build()) {
        for (long id = 0; id < LIKES; id++) {
          inRedis.add(queue.submit(new Like(id, 1, id)));
        }
        CompletableFuture.allOf(inRedis.toArray(new CompletableFuture<?>[0])).get(30, SECONDS);
        redis.kill(); // SIGKILL: no shutdown, no final fsync
      }

      redis.restart(null);
      try (RedisClient jedis = redis.client("default", null)) {
        assertThat(jedis.xlen("likes")).isEqualTo(LIKES);
        Set<Long> ids = new HashSet<>();
        for (StreamEntry e : jedis.xrange("likes", (StreamEntryID) null, null)) {
          ids.add(StreamLikes.CODEC.decode(e.getFields()).id());
        }
        assertThat(ids).hasSize(LIKES);
      }
    }
  }
}
