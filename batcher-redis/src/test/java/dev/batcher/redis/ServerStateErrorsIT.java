package dev.batcher.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.BatchResult;
import java.io.File;
import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.exceptions.JedisException;

/**
 * An error reply about the server's state fails its item retryably, not for good: a redis-server
 * of this test's own (on a free port, so that the shared one keeps its settings) is given {@code
 * maxmemory 1}, and every write is refused with {@code OOM}; once the limit is lifted, the same
 * items are written. Needs {@code redis-server} on the PATH.
 */
class ServerStateErrorsIT {
  private Process server;
  private RedisClient jedis;

  @BeforeEach
  void startServer() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    try {
      server = new ProcessBuilder("redis-server", "--port", String.valueOf(port), "--save", "",
          "--appendonly", "no", "--maxmemory", "1", "--maxmemory-policy", "noeviction")
          .redirectErrorStream(true).redirectOutput(new File("target/redis-server-oom.log"))
          .start();
    } catch (java.io.IOException e) {
      throw new AssertionError("could not start redis-server (is it on the PATH?): " + e, e);
    }
    jedis = RedisClient.create("127.0.0.1", port);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try {
        jedis.ping();
        return;
      } catch (JedisException e) {
        if (System.nanoTime() > deadline || !server.isAlive()) {
          throw new AssertionError("redis-server on port " + port + " did not answer", e);
        }
        Thread.sleep(50);
      }
    }
  }

  @AfterEach
  void stopServer() throws Exception {
    if (jedis != null) {
      jedis.close();
    }
    if (server != null) {
      server.destroy();
      server.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void oom_failsEachItemRetryably_andTheyAreWrittenOnceMemoryIsFree() {
    RedisSink<Integer> sink = RedisSink.<Integer>builder(jedis,
        (p, i) -> p.set("k" + i, "v")).build();

    BatchResult refused = sink.write(List.of(0, 1, 2));

    for (int i = 0; i < 3; i++) {
      assertThat(refused.outcome(i)).isEqualTo(BatchResult.Outcome.FAILED_RETRYABLE);
      assertThat(refused.cause(i)).hasMessageStartingWith("OOM");
    }

    jedis.configSet("maxmemory", "0");
    assertThat(sink.write(List.of(0, 1, 2)).isSuccess()).isTrue();
    assertThat(jedis.mget("k0", "k1", "k2")).containsExactly("v", "v", "v");
  }
}
