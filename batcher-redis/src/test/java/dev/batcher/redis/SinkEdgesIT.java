package dev.batcher.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.BatchResult;
import dev.batcher.RetryPolicy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.BuilderFactory;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.CommandObject;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.Response;

/**
 * What the sink makes of command functions and clients that do not play by the rules: a function
 * that throws an {@link Error}, one that returns a response of something else, a client with a
 * wrong password, a user refused MULTI.
 */
class SinkEdgesIT {
  private final RedisClient jedis = TestRedis.client("batcher-edges");
  private final String prefix = TestRedis.prefix("edges");

  @AfterEach
  void cleanUp() {
    TestRedis.deleteKeys(jedis, prefix);
    jedis.close();
  }

  private static List<Integer> items(int n) {
    List<Integer> items = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      items.add(i);
    }
    return items;
  }

  @Test
  void anErrorThrownForOneItem_failsThatItemAlone_bothModes() {
    for (boolean transactional : new boolean[] {false, true}) {
      String key = prefix + ":" + transactional + ":";
      RedisSink.Builder<Integer> b = RedisSink.<Integer>builder(jedis, (p, i) -> {
        if (i == 500) {
          throw new AssertionError("item 500");
        }
        return p.incr(key + i);
      });
      RedisSink<Integer> sink = (transactional ? b.transactional() : b).build();

      BatchResult result = sink.write(items(1_000));

      assertThat(result.batchFailure()).as("%s", result).isNull();
      assertThat(result.failedCount()).isEqualTo(1);
      assertThat(result.outcome(500)).isEqualTo(BatchResult.Outcome.FAILED_PERMANENTLY);
      assertThat(result.cause(500)).isInstanceOf(AssertionError.class);
      assertThat(jedis.get(key + 499)).isEqualTo("1");
      assertThat(jedis.get(key + 501)).isEqualTo("1");
      assertThat(jedis.exists(key + 500)).isFalse();
      assertThat(sink.commands()).isEqualTo(999);
    }
  }

  @Test
  void anOutOfMemoryError_propagates_andClosesTheConnectionWithoutSendingTheBuffer() {
    String key = prefix + ":oom:";
    RedisSink<Integer> sink = RedisSink.<Integer>builder(jedis, (p, i) -> {
      if (i == 5) {
        throw new OutOfMemoryError("pretend");
      }
      return p.incr(key + i);
    }).build();

    try {
      sink.write(items(10));
      throw new AssertionError("the OutOfMemoryError was swallowed");
    } catch (OutOfMemoryError expected) {
      // the JVM's failure is not the item's
    }
    // The five INCRs sat in Jedis's output buffer: the socket was closed without sending them.
    assertThat(jedis.exists(key + 0)).isFalse();
    assertThat(jedis.ping()).isEqualTo("PONG"); // the pool gave the broken connection up
  }

  @Test
  void aResponseNotQueuedOnTheBatch_failsItsItem_andIsNotCounted() {
    Response<Long> earlier;
    try (AbstractPipeline other = jedis.pipelined()) {
      earlier = other.incr(prefix + ":other");
    }
    RedisSink<Integer> sink = RedisSink.<Integer>builder(jedis,
        (p, i) -> i == 1 ? earlier : p.incr(prefix + ":" + i)).build();

    BatchResult result = sink.write(items(3));

    assertThat(result.outcome(0)).isEqualTo(BatchResult.Outcome.SUCCEEDED);
    assertThat(result.outcome(1)).isEqualTo(BatchResult.Outcome.FAILED_PERMANENTLY);
    assertThat(result.cause(1)).hasMessageContaining("already filled");
    assertThat(result.outcome(2)).isEqualTo(BatchResult.Outcome.SUCCEEDED);
    assertThat(sink.commands()).isEqualTo(2);
  }

  @Test
  void aReplyThatDoesNotDecode_failsItsItem_neverSucceeds() {
    jedis.set(prefix + ":s", "not a number");
    // GET's bulk reply read as a Long: Jedis's builder throws ClassCastException from get()
    RedisSink<Integer> sink = RedisSink.<Integer>builder(jedis,
        (p, i) -> ((Pipeline) p).appendCommand(new CommandObject<>(
            new CommandArguments(Protocol.Command.GET).key(prefix + ":s"), BuilderFactory.LONG)))
        .build();

    BatchResult result = sink.write(items(1));

    assertThat(result.outcome(0)).isEqualTo(BatchResult.Outcome.FAILED_PERMANENTLY);
    assertThat(result.cause(0)).hasMessageContaining("could not be read")
        .hasMessageContaining(ClassCastException.class.getName());
  }

  @Test
  void aWrongPassword_failsTheBatch_andTheDefaultClassifierDoesNotRetryIt() throws Exception {
    try (OwnRedis server = OwnRedis.start("requirepass", "secret", "--requirepass", "secret");
        RedisClient wrong = server.client("default", "wrong")) {
      for (boolean transactional : new boolean[] {false, true}) {
        RedisSink.Builder<Integer> b = RedisSink.<Integer>builder(wrong, (p, i) -> p.incr("k"));
        RedisSink<Integer> sink = (transactional ? b.transactional() : b).build();

        BatchResult result = sink.write(items(2));

        assertThat(result.batchFailure()).as("%s", result)
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("WRONGPASS");
        assertThat(RetryPolicy.defaultClassifier().test(result.batchFailure())).isFalse();
      }
    }
  }

  @Test
  @SuppressWarnings("deprecation") // UnifiedJedis has no ACL SETUSER of its own
  void multiRefused_failsTheBatch_notRetried_sayingTheCommandsMayHaveBeenApplied()
      throws Exception {
    try (OwnRedis server = OwnRedis.start("acl", null);
        RedisClient admin = server.client("default", null)) {
      admin.sendCommand(Protocol.Command.ACL, "SETUSER", "nomulti", "on", ">pw", "~*", "+@all",
          "-multi");
      try (RedisClient user = server.client("nomulti", "pw")) {
        RedisSink<Integer> sink = RedisSink.<Integer>builder(user, (p, i) -> p.incr("k" + i))
            .transactional().build();

        BatchResult result = sink.write(items(3));

        assertThat(result.batchFailure()).as("%s", result)
            .hasMessageContaining("NOPERM").hasMessageContaining("may have been applied");
        assertThat(RetryPolicy.defaultClassifier().test(result.batchFailure())).isFalse();
        assertThat(admin.get("k0")).as("Redis ran the commands at once").isEqualTo("1");
        assertThat(user.ping()).isEqualTo("PONG");
      }
    }
  }
}
