package dev.batcher.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.BatchResult;
import dev.batcher.Batcher;
import dev.batcher.DeadLetter;
import dev.batcher.ItemWriteException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisClient;

/**
 * A poison item (INCRBY on a key that holds a hash: WRONGTYPE) at the start, the middle and the
 * end of a batch of 5,000, through a real batcher: it fails alone with Redis's error and reaches
 * the dead-letter handler; every other item is written exactly once, in one sink call, without
 * bisection.
 */
class PoisonItemsIT {
  private static final int ITEMS = 5_000;
  private static final List<Integer> POISON_AT = List.of(0, ITEMS / 2, ITEMS - 1);

  private final RedisClient jedis = TestRedis.client("batcher-poison");
  private final String prefix = TestRedis.prefix("poison");

  @AfterEach
  void cleanUp() {
    TestRedis.deleteKeys(jedis, prefix);
    jedis.close();
  }

  @ParameterizedTest(name = "transactional={0}")
  @ValueSource(booleans = {false, true})
  void poisonAtStartMiddleEnd_failsAlone_othersWrittenOnce(boolean transactional)
      throws Exception {
    jedis.hset(prefix + ":poison", "a", "hash");
    AtomicInteger calls = new AtomicInteger();
    RedisSink.Builder<Integer> b = RedisSink.builder(jedis,
        (p, i) -> p.incrBy(POISON_AT.contains(i) ? prefix + ":poison" : prefix + ":n:" + i, 1));
    RedisSink<Integer> sink = (transactional ? b.transactional() : b).build();
    List<DeadLetter<Integer>> deadLetters = new CopyOnWriteArrayList<>();

    List<CompletableFuture<Void>> futures = new ArrayList<>();
    try (Batcher<Integer> batcher = Batcher.<Integer>builder(batch -> {
          calls.incrementAndGet();
          return sink.write(batch);
        }).name("poison-" + transactional).maxBatchSize(ITEMS).queueCapacity(ITEMS)
        .maxDelay(Duration.ofHours(1)).deliveryTimeout(Duration.ofHours(2))
        .deadLetterHandler(deadLetters::add).build()) {
      for (int i = 0; i < ITEMS; i++) {
        futures.add(batcher.submit(i));
      }
      batcher.flush().get(30, TimeUnit.SECONDS);
      CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0]))
          .handle((v, e) -> null).get(30, TimeUnit.SECONDS);
      assertThat(batcher.metrics().bisections()).as("bisections").isZero();
    }

    assertThat(calls).as("sink calls").hasValue(1);
    assertThat(sink.roundTrips()).isEqualTo(transactional ? 2 : 1);
    for (int i : POISON_AT) {
      Throwable failure = failureOf(futures.get(i));
      assertThat(failure).isInstanceOf(ItemWriteException.class);
      assertThat(failure.getCause()).hasMessageStartingWith("WRONGTYPE");
    }
    assertThat(deadLetters).extracting(DeadLetter::item)
        .containsExactlyInAnyOrderElementsOf(POISON_AT);
    assertThat(deadLetters).allSatisfy(d -> assertThat(d.cause()).hasMessageStartingWith(
        "WRONGTYPE"));
    Map<String, String> poison = jedis.hgetAll(prefix + ":poison");
    assertThat(poison).as("the poison key").containsExactly(Map.entry("a", "hash"));
    for (int i = 0; i < ITEMS; i++) {
      if (!POISON_AT.contains(i)) {
        assertThat(futures.get(i)).as("item %s", i).isCompleted();
        assertThat(jedis.get(prefix + ":n:" + i)).as("item %s's counter", i).isEqualTo("1");
      }
    }
  }

  private static Throwable failureOf(CompletableFuture<Void> f) throws InterruptedException {
    try {
      f.get();
    } catch (ExecutionException e) {
      return e.getCause();
    }
    throw new AssertionError("the future completed normally");
  }

  @Test
  void commandFunctionThrows_failsThatItemOnly_withItsException() {
    RedisSink<Integer> sink = RedisSink.<Integer>builder(jedis, (p, i) -> {
      if (i == 1) {
        throw new IllegalArgumentException("no command for 1");
      }
      return i == 2 ? null : p.set(prefix + ":k:" + i, "v");
    }).build();

    var result = sink.write(List.of(0, 1, 2, 3));

    assertThat(result.failedCount()).isEqualTo(2);
    assertThat(result.cause(1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("no command for 1");
    assertThat(result.cause(2)).isInstanceOf(NullPointerException.class)
        .hasMessage("the command function returned null for the item at index 2");
    assertThat(jedis.get(prefix + ":k:0")).isEqualTo("v");
    assertThat(jedis.get(prefix + ":k:3")).isEqualTo("v");
    assertThat(sink.commands()).isEqualTo(2);
  }

  @Test
  void transactional_commandRefusedAtQueueTime_appliesNothing_failsEveryItem() {
    RedisSink<Integer> sink = RedisSink.<Integer>builder(jedis, (p, i) -> i == 1
        ? p.sendCommand(Protocol.Command.SET, prefix + ":k:" + i) // wrong number of arguments
        : p.set(prefix + ":k:" + i, "v")).transactional().build();

    var result = sink.write(List.of(0, 1, 2));

    assertThat(result.failedCount()).isEqualTo(3);
    for (int i = 0; i < 3; i++) {
      assertThat(result.outcome(i)).isEqualTo(BatchResult.Outcome.FAILED_PERMANENTLY);
      assertThat(result.cause(i)).hasMessageStartingWith("EXECABORT");
    }
    assertThat(jedis.exists(prefix + ":k:0")).as("applied").isFalse();
    assertThat(jedis.exists(prefix + ":k:2")).as("applied").isFalse();
  }
}
