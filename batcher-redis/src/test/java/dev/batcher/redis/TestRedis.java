package dev.batcher.redis;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;
import redis.clients.jedis.util.JedisURIHelper;

/**
 * Where the integration tests find Redis: {@value #VARIABLE}, default {@value #DEFAULT}. A Redis
 * that does not answer fails the test with a message that names it, the address tried and the
 * variable to set; tests never skip silently. Each client gets a connection name, so that a test
 * can kill exactly that client's connections ({@link #killConnections}).
 */
final class TestRedis {
  static final String VARIABLE = "BATCHER_REDIS_URL";
  static final String DEFAULT = "redis://127.0.0.1:6379";

  private TestRedis() {}

  /** The address the tests use. */
  static String url() {
    return System.getenv().getOrDefault(VARIABLE, DEFAULT);
  }

  /** A unique key prefix for one test: {@code batcher-it:<name>:<random>}. */
  static String prefix(String name) {
    return "batcher-it:" + name + ":" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** A pooled client named {@code clientName} on the test Redis, checked to answer. */
  static RedisClient client(String clientName) {
    String url = url();
    URI uri = URI.create(url);
    JedisClientConfig config = DefaultJedisClientConfig.builder()
        .user(JedisURIHelper.getUser(uri)).password(JedisURIHelper.getPassword(uri))
        .database(JedisURIHelper.getDBIndex(uri)).clientName(clientName)
        .connectionTimeoutMillis(2_000).socketTimeoutMillis(10_000).build();
    ConnectionPoolConfig pool = new ConnectionPoolConfig();
    pool.setMaxTotal(4);
    RedisClient jedis = RedisClient.builder().hostAndPort(uri.getHost(), uri.getPort())
        .clientConfig(config).poolConfig(pool).build();
    try {
      jedis.ping();
    } catch (JedisException e) {
      jedis.close();
      throw new AssertionError("Redis is not reachable at " + url + " (" + e.getMessage()
          + "). Start it (../shared/services.sh) or point " + VARIABLE + " at one, e.g. "
          + VARIABLE + "=" + DEFAULT, e);
    }
    return jedis;
  }

  /** Kills every connection named {@code clientName}, from {@code control}'s connection. */
  @SuppressWarnings("deprecation") // UnifiedJedis has no CLIENT LIST/KILL of its own
  static int killConnections(RedisClient control, String clientName) {
    String list = new String((byte[]) control.sendCommand(Protocol.Command.CLIENT, "LIST"),
        StandardCharsets.UTF_8);
    List<String> ids = new ArrayList<>();
    for (String line : list.split("\n")) {
      String id = null;
      boolean named = false;
      for (String field : line.strip().split(" ")) {
        if (field.startsWith("id=")) {
          id = field.substring(3);
        } else if (field.equals("name=" + clientName)) {
          named = true;
        }
      }
      if (named && id != null) {
        ids.add(id);
      }
    }
    for (String id : ids) {
      control.sendCommand(Protocol.Command.CLIENT, "KILL", "ID", id);
    }
    return ids.size();
  }

  /** Deletes every key under {@code prefix}. */
  static void deleteKeys(RedisClient jedis, String prefix) {
    String cursor = ScanParams.SCAN_POINTER_START;
    ScanParams match = new ScanParams().match(prefix + "*").count(1000);
    do {
      ScanResult<String> page = jedis.scan(cursor, match);
      if (!page.getResult().isEmpty()) {
        jedis.del(page.getResult().toArray(new String[0]));
      }
      cursor = page.getCursor();
    } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
  }
}
