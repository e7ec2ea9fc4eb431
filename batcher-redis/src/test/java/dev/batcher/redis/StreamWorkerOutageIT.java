package dev.batcher.redis;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import dev.batcher.BatchResult;
import dev.batcher.Batcher;
import dev.batcher.redis.StreamLikes.Like;
import dev.batcher.redis.internal.WorkerLoop;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.StreamEntryID;

/**
 * A Redis outage, with a redis-server of the test's own that is stopped and started again: the
 * worker backs off and logs a few lines, not one per failed round, then resumes by itself.
 */
class StreamWorkerOutageIT {
  private final Logger log = (Logger) LoggerFactory.getLogger(WorkerLoop.class);
  private final List<ILoggingEvent> events = new CopyOnWriteArrayList<>();
  private final AppenderBase<ILoggingEvent> lines = new AppenderBase<>() {
    @Override
    protected void append(ILoggingEvent event) { // on the worker's thread: a thread-safe list
      events.add(event);
    }
  };

  @AfterEach
  void detach() {
    log.detachAppender(lines);
  }

  @Test
  void redisDown_twoSeconds_aFewLogLines_andTheWorkerResumes() throws Exception {
    lines.start();
    log.addAppender(lines);
    try (OwnRedis redis = OwnRedis.start("outage", null);
        RedisClient jedis = redis.client("default", null);
        Batcher<Like> downstream = Batcher.<Like>builder(batch -> BatchResult.success()).build();
        StreamWorker<Like> worker = StreamWorker.builder(jedis, "likes", "g", StreamLikes.CODEC,
            downstream).block(Duration.ofMillis(1)).build()) {
      add(jedis, 0, 10);
      await().atMost(10, SECONDS).until(() -> worker.acked() == 10);

      redis.stop(); // the outage: nothing persisted, so the stream and group are gone after it
      long down = System.nanoTime();
      await().atMost(10, SECONDS).until(() -> warnings().size() >= 1);
      // let the outage last two seconds: with a pause of block (1 ms), a line per failed round
      await().atMost(10, SECONDS)
          .until(() -> System.nanoTime() - down >= SECONDS.toNanos(2));
      redis.restart(null);
      add(jedis, 10, 15);

      await().atMost(20, SECONDS).until(() -> worker.acked() == 15);
      assertThat(worker.isRunning()).isTrue();
      assertThat(warnings()).as("first failure, the re-created group; nothing per round")
          .hasSizeBetween(1, 3);
      assertThat(events).anySatisfy(e -> {
        assertThat(e.getLevel()).isEqualTo(Level.INFO);
        assertThat(e.getFormattedMessage()).contains("recovered after");
      });
    }
  }

  private List<ILoggingEvent> warnings() {
    return events.stream().filter(e -> e.getLevel() == Level.WARN).toList();
  }

  private static void add(RedisClient jedis, int from, int to) throws Exception {
    for (long id = from; id < to; id++) {
      jedis.xadd("likes", StreamEntryID.NEW_ENTRY, StreamLikes.CODEC.encode(new Like(id, 1, id)));
    }
  }
}
