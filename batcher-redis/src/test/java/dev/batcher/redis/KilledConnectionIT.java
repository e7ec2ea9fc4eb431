package dev.batcher.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.BatchSink;
import dev.batcher.Batcher;
import dev.batcher.BatcherListener;
import dev.batcher.RetryPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.exceptions.JedisConnectionException;

/**
 * The sink's connection is killed (CLIENT KILL from another connection) while a batch of 5,000
 * INCRBY commands is being queued, after about 4,000 of them have reached Redis. In a transaction
 * Redis discards what it had queued, and the retried batch applies every INCRBY exactly once; a
 * plain pipeline had already applied what Redis read, and its retry applies that part twice,
 * which is why counters want {@link RedisSink.Builder#transactional()}.
 */
class KilledConnectionIT {
  private static final int ITEMS = 5_000;
  private static final int KILL_AT = 4_000;

  private final String clientName = "batcher-killed-" + ProcessHandle.current().pid();
  private final RedisClient control = TestRedis.client(clientName + "-control");
  private final RedisClient jedis = TestRedis.client(clientName);
  private final String prefix = TestRedis.prefix("killed");
  private final AtomicBoolean killed = new AtomicBoolean();
  private final List<Throwable> retryCauses = new CopyOnWriteArrayList<>();

  @AfterEach
  void cleanUp() {
    TestRedis.deleteKeys(control, prefix);
    jedis.close();
    control.close();
  }

  @Test
  void transactional_killedBeforeExec_retriedBatchAppliesEveryIncrbyOnce() throws Exception {
    RedisSink<Integer> sink = sink(true);

    run(sink);

    assertThat(killed).as("the connection was killed").isTrue();
    assertThat(retryCauses).as("causes of the retries").isNotEmpty()
        .allSatisfy(c -> assertThat(c).isInstanceOf(JedisConnectionException.class));
    // The lost attempt fails while queuing (a write to the dead socket) or at EXEC, so it
    // counts its round trips or not; the retry counts its two.
    assertThat(sink.roundTrips()).as("round trips").isIn(2L, 4L);
    for (int i = 0; i < ITEMS; i++) {
      assertThat(control.get(prefix + ":n:" + i)).as("counter %s", i).isEqualTo("1");
    }
    assertThat(control.get(prefix + ":total")).isEqualTo(String.valueOf(ITEMS));
  }

  @Test
  void pipeline_killedMidBatch_retryAppliesWhatRedisHadReadTwice() throws Exception {
    RedisSink<Integer> sink = sink(false);

    run(sink);

    assertThat(killed).as("the connection was killed").isTrue();
    assertThat(retryCauses).as("causes of the retries").isNotEmpty();
    int twice = 0;
    for (int i = 0; i < ITEMS; i++) {
      String n = control.get(prefix + ":n:" + i);
      assertThat(n).as("counter %s", i).isIn("1", "2");
      twice += n.equals("2") ? 1 : 0;
    }
    assertThat(twice).as("counters applied twice: by the lost pipeline and by its retry")
        .isPositive().isLessThan(KILL_AT);
  }

  /** A sink whose command function kills its own connection at item {@link #KILL_AT}, once. */
  private RedisSink<Integer> sink(boolean transactional) {
    RedisSink.Builder<Integer> b = RedisSink.builder(jedis, (p, i) -> {
      if (i == KILL_AT && killed.compareAndSet(false, true)) {
        assertThat(TestRedis.killConnections(control, clientName)).isEqualTo(1);
      }
      p.incrBy(prefix + ":total", 1);
      return p.incrBy(prefix + ":n:" + i, 1);
    });
    return (transactional ? b.transactional() : b).build();
  }

  private void run(BatchSink<Integer> sink) throws Exception {
    List<CompletableFuture<Void>> futures = new ArrayList<>();
    AtomicInteger failed = new AtomicInteger();
    try (Batcher<Integer> batcher = Batcher.builder(sink).name("killed")
        .maxBatchSize(ITEMS).queueCapacity(ITEMS).maxDelay(Duration.ofHours(1))
        .deliveryTimeout(Duration.ofHours(2))
        .retryPolicy(RetryPolicy.builder().initialBackoff(Duration.ZERO).maxBackoff(Duration.ZERO)
            .build())
        .listener(new BatcherListener<Integer>() {
          @Override
          public void onRetry(Integer item, Throwable cause, int attemptsSoFar) {
            if (item == 0) {
              retryCauses.add(cause);
            }
          }
        }).build()) {
      for (int i = 0; i < ITEMS; i++) {
        futures.add(batcher.submit(i).whenComplete((v, e) -> {
          if (e != null) {
            failed.incrementAndGet();
          }
        }));
      }
      batcher.flush().get(30, TimeUnit.SECONDS);
      CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0]))
          .get(30, TimeUnit.SECONDS);
    }
    assertThat(failed).as("items failed").hasValue(0);
  }
}
