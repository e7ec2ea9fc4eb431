package dev.batcher.redis;

import dev.batcher.BatchSink;
import dev.batcher.testing.BatchSinkContractTest;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import redis.clients.jedis.RedisClient;

/**
 * The sink contract (batcher-core's {@link BatchSinkContractTest}) for a {@link RedisSink}: each
 * good item is appended to one list with RPUSH, which is not idempotent, so an item written twice
 * shows twice; a poison item is RPUSHed to a key that holds a string (WRONGTYPE). The transient
 * failure kills the sink's connection from another connection while the next call queues its
 * first item.
 */
abstract class RedisContract extends BatchSinkContractTest<RedisContract.Entry> {

  /** One item: an id and a value; a null value makes it poison. */
  record Entry(long id, @Nullable String value) {}

  private final AtomicBoolean killNext = new AtomicBoolean();
  private final String clientName = "batcher-contract-" + ProcessHandle.current().pid();
  private @Nullable RedisClient jedis;
  private @Nullable RedisClient control;
  private String prefix = "";

  /** Whether the sink under test is transactional. */
  abstract boolean transactional();

  @Override
  protected BatchSink<Entry> createSink() {
    control = TestRedis.client(clientName + "-control");
    jedis = TestRedis.client(clientName);
    prefix = TestRedis.prefix(getClass().getSimpleName());
    control.set(prefix + ":a-string", "not a list");
    RedisSink.Builder<Entry> b = RedisSink.builder(jedis, (p, e) -> {
      if (killNext.compareAndSet(true, false)) {
        TestRedis.killConnections(control(), clientName);
      }
      return e.value() == null
          ? p.rpush(prefix + ":a-string", String.valueOf(e.id()))
          : p.rpush(prefix + ":list", e.id() + "=" + e.value());
    });
    return transactional() ? b.transactional().build() : b.build();
  }

  @Override
  protected boolean armTransientFailure() {
    killNext.set(true);
    return true;
  }

  @Override
  protected Entry goodItem(int i) {
    return new Entry(i, "good-" + i);
  }

  @Override
  protected Entry poisonItem(int i) {
    return new Entry(1_000_000 + i, null);
  }

  @Override
  protected Collection<Entry> stored() {
    List<Entry> entries = new ArrayList<>();
    for (String s : control().lrange(prefix + ":list", 0, -1)) {
      int eq = s.indexOf('=');
      entries.add(new Entry(Long.parseLong(s.substring(0, eq)), s.substring(eq + 1)));
    }
    return entries;
  }

  private RedisClient control() {
    if (control == null) {
      throw new IllegalStateException("createSink() has not run");
    }
    return control;
  }

  @AfterEach
  void deleteKeysAndClose() {
    if (control != null) {
      TestRedis.deleteKeys(control, prefix);
      control.close();
    }
    if (jedis != null) {
      jedis.close();
    }
  }
}
