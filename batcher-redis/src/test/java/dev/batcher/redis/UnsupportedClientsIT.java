package dev.batcher.redis;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Connection;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * Clients the sink cannot write through are refused when the sink is built, with a message that
 * names the client and what to use instead, rather than failing every write later: a Redis
 * Cluster client (a one-node cluster of this test's own) and a {@code UnifiedJedis} over one
 * connection.
 */
class UnsupportedClientsIT {

  @Test
  @SuppressWarnings("deprecation") // JedisCluster: still the cluster client many use
  void aClusterClient_isRefusedAtBuild_inBothModes() throws Exception {
    try (OwnRedis server = OwnRedis.start("cluster", null, "--cluster-enabled", "yes",
        "--cluster-config-file", "target/nodes-" + System.nanoTime() + ".conf")) {
      try (RedisClient admin = server.client("default", null)) {
        admin.sendCommand(Protocol.Command.CLUSTER, "ADDSLOTSRANGE", "0", "16383");
        await("the one-node cluster's state ok").atMost(10, SECONDS)
            .until(() -> new String((byte[]) admin.sendCommand(Protocol.Command.CLUSTER, "INFO"),
                StandardCharsets.UTF_8).contains("cluster_state:ok"));
      }
      try (JedisCluster cluster = new JedisCluster(new HostAndPort("127.0.0.1", server.port))) {
        assertThatThrownBy(() -> RedisSink.<String>builder(cluster, (p, s) -> p.set(s, s))
            .transactional().build())
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("does not support Redis Cluster clients")
            .hasMessageContaining(JedisCluster.class.getName());
        assertThatThrownBy(() -> RedisSink.<String>builder(cluster, (p, s) -> p.set(s, s))
            .build())
            .isInstanceOf(IllegalArgumentException.class);
      }
    }
  }

  @Test
  @SuppressWarnings("deprecation") // the one-connection UnifiedJedis a user may still build
  void aClientOverOneConnection_isRefusedAtBuild() {
    URI uri = URI.create(TestRedis.url());
    try (UnifiedJedis single =
        new UnifiedJedis(new Connection(uri.getHost(), uri.getPort())) {}) {
      assertThatThrownBy(() -> RedisSink.<String>builder(single, (p, s) -> p.set(s, s)).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("no connection provider");
    }
  }
}
