package dev.batcher.redis;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.batcher.Batcher;
import dev.batcher.redis.StreamLikes.Like;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.resps.StreamEntry;

/**
 * A Redis <em>process</em> that is killed (SIGKILL) right after the producer's futures completed
 * still has every entry when it restarts, with {@code appendonly yes}. This proves survival of a
 * crash of the Redis process only: what Redis wrote is in the operating system's page cache, so
 * the test passes with any {@code appendfsync}, {@code no} included. Surviving a crash of the
 * machine needs {@code appendfsync always}, which is set here as the documented configuration but
 * cannot be tested without losing the machine. Runs its own {@code redis-server} (from the PATH, or
 * {@value #SERVER_VARIABLE}) on a free port and a temporary directory.
 */
class RedisCrashIT {
  static final String SERVER_VARIABLE = "BATCHER_REDIS_SERVER";
  private static final int LIKES = 3_000;

  @TempDir
  Path dir;
  private Process server;

  @AfterEach
  void stop() throws InterruptedException {
    if (server != null) {
      server.destroyForcibly().waitFor();
    }
  }

  @Test
  void killedRedisProcess_withAppendOnlyFile_keepsEveryCompletedEntry() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    server = start(port);
    List<CompletableFuture<Void>> inRedis = new ArrayList<>();
    try (RedisClient jedis = client(port);
        Batcher<Like> queue = Batcher.builder(
            RedisStreamSink.builder(jedis, "likes", StreamLikes.CODEC).build())
            .maxBatchSize(200).build()) {
      for (long id = 0; id < LIKES; id++) {
        inRedis.add(queue.submit(new Like(id, 1, id)));
      }
      CompletableFuture.allOf(inRedis.toArray(new CompletableFuture<?>[0])).get(30, SECONDS);
      server.destroyForcibly().waitFor(); // SIGKILL: no shutdown, no final fsync
    }

    server = start(port);
    try (RedisClient jedis = client(port)) {
      assertThat(jedis.xlen("likes")).isEqualTo(LIKES);
      Set<Long> ids = new HashSet<>();
      for (StreamEntry e : jedis.xrange("likes", (StreamEntryID) null, null)) {
        ids.add(StreamLikes.CODEC.decode(e.getFields()).id());
      }
      assertThat(ids).hasSize(LIKES);
    }
  }

  private Process start(int port) throws IOException {
    String binary = System.getenv().getOrDefault(SERVER_VARIABLE, "redis-server");
    Process p;
    try {
      p = new ProcessBuilder(binary, "--port", Integer.toString(port), "--bind", "127.0.0.1",
          "--appendonly", "yes", "--appendfsync", "always", "--dir", dir.toString(),
          "--save", "")
          .redirectErrorStream(true).redirectOutput(new File("target/redis-crash-server.log"))
          .start();
    } catch (IOException e) {
      throw new AssertionError("cannot start " + binary + " (" + e.getMessage() + "): install"
          + " Redis or point " + SERVER_VARIABLE + " at its redis-server", e);
    }
    await().atMost(20, SECONDS).ignoreException(JedisException.class).until(() -> {
      try (RedisClient probe = client(port)) {
        return "PONG".equals(probe.ping());
      }
    });
    return p;
  }

  private static RedisClient client(int port) {
    return RedisClient.builder().hostAndPort("127.0.0.1", port)
        .clientConfig(DefaultJedisClientConfig.builder().socketTimeoutMillis(5_000).build())
        .build();
  }
}
