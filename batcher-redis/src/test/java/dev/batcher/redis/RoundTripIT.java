package dev.batcher.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.BatchResult;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionFactory;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisSocketFactory;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.providers.PooledConnectionProvider;
import redis.clients.jedis.util.JedisURIHelper;

/**
 * One batch is one round trip (two in a transaction), however many items it holds: counted by
 * the sink, and on the wire by a socket that counts the client's turns from writing to reading
 * ({@link #wireTurns}): Jedis writes the whole batch before it reads a reply.
 */
class RoundTripIT {
  private static final int ITEMS = 10_000;

  private final RedisClient jedis = TestRedis.client("batcher-roundtrip");
  private final String prefix = TestRedis.prefix("roundtrip");

  @AfterEach
  void cleanUp() {
    TestRedis.deleteKeys(jedis, prefix);
    jedis.close();
  }

  @Test
  void tenThousandItems_oneRoundTrip() {
    RedisSink<Integer> sink = RedisSink.<Integer>builder(jedis,
        (p, i) -> p.hincrBy(prefix + ":counts", "f" + (i % 100), 1)).build();

    BatchResult result = sink.write(items());

    assertThat(result.isSuccess()).as("%s", result).isTrue();
    assertThat(sink.roundTrips()).isEqualTo(1);
    assertThat(sink.commands()).isEqualTo(ITEMS);
    assertThat(jedis.hget(prefix + ":counts", "f7")).isEqualTo("100");
  }

  @Test
  void tenThousandItems_transactional_twoRoundTrips() {
    RedisSink<Integer> sink = RedisSink.<Integer>builder(jedis,
        (p, i) -> p.hincrBy(prefix + ":counts", "f" + (i % 100), 1)).transactional().build();

    BatchResult result = sink.write(items());

    assertThat(result.isSuccess()).as("%s", result).isTrue();
    assertThat(sink.roundTrips()).isEqualTo(2);
    assertThat(sink.commands()).isEqualTo(ITEMS);
    assertThat(jedis.hget(prefix + ":counts", "f7")).isEqualTo("100");
  }

  @Test
  void tenThousandItems_oneRoundTrip_onTheWire() {
    AtomicInteger turns = new AtomicInteger();
    try (UnifiedJedis counted = wireTurns(turns)) {
      counted.ping(); // the pool's one connection is opened (and its handshake done) here
      int before = turns.get();
      RedisSink<Integer> sink = RedisSink.<Integer>builder(counted,
          (p, i) -> p.hincrBy(prefix + ":counts", "f" + (i % 100), 1)).build();

      assertThat(sink.write(items()).isSuccess()).isTrue();

      assertThat(turns.get() - before).as("writes followed by reads").isEqualTo(1);
      RedisSink<Integer> tx = RedisSink.<Integer>builder(counted,
          (p, i) -> p.hincrBy(prefix + ":counts", "f" + (i % 100), 1)).transactional().build();
      before = turns.get();
      assertThat(tx.write(items()).isSuccess()).isTrue();
      assertThat(turns.get() - before).isEqualTo(2);
    }
    assertThat(jedis.hget(prefix + ":counts", "f7")).isEqualTo("200");
  }

  /**
   * A client with one pooled connection whose socket counts in {@code turns} each time the client
   * reads after it wrote: one per round trip, however many writes the batch took.
   */
  @SuppressWarnings("deprecation") // the one public UnifiedJedis constructor over a provider
  private static UnifiedJedis wireTurns(AtomicInteger turns) {
    URI uri = URI.create(TestRedis.url());
    JedisClientConfig config = DefaultJedisClientConfig.builder()
        .user(JedisURIHelper.getUser(uri)).password(JedisURIHelper.getPassword(uri))
        .database(JedisURIHelper.getDBIndex(uri)).socketTimeoutMillis(10_000).build();
    AtomicBoolean wrote = new AtomicBoolean();
    JedisSocketFactory sockets = () -> {
      Socket socket = new Socket() {
        @Override
        public OutputStream getOutputStream() throws IOException {
          return new FilterOutputStream(super.getOutputStream()) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
              wrote.set(true);
              out.write(b, off, len);
            }
          };
        }

        @Override
        public InputStream getInputStream() throws IOException {
          return new FilterInputStream(super.getInputStream()) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
              if (wrote.getAndSet(false)) {
                turns.incrementAndGet();
              }
              return in.read(b, off, len);
            }
          };
        }
      };
      try {
        socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 2_000);
        socket.setSoTimeout(10_000);
      } catch (IOException e) {
        throw new JedisConnectionException(e);
      }
      return socket;
    };
    GenericObjectPoolConfig<Connection> pool = new GenericObjectPoolConfig<>();
    pool.setMaxTotal(1);
    return new UnifiedJedis(new PooledConnectionProvider(new ConnectionFactory(sockets, config),
        pool), 1, Duration.ofSeconds(10));
  }

  private static List<Integer> items() {
    List<Integer> items = new ArrayList<>();
    for (int i = 0; i < ITEMS; i++) {
      items.add(i);
    }
    return items;
  }
}
