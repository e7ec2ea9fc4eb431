package dev.batcher.redis;

import com.zaxxer.hikari.HikariDataSource;
import dev.batcher.BatchResult;
import dev.batcher.BatchSink;
import dev.batcher.Batcher;
import dev.batcher.redis.StreamLikes.Like;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import redis.clients.jedis.RedisClient;

/**
 * The worker that {@link WorkerCrashIT} kills, run in its own JVM: {@code stream group table}.
 * Its sink commits its second batch to PostgreSQL, prints {@value #COMMITTED} and then blocks
 * for ever, so the parent kills it at a known point: rows committed whose entries are not
 * acknowledged, and more entries read and not written.
 */
public final class CrashingWorkerMain {
  static final String COMMITTED = "COMMITTED";
  static final String CONSUMER = "doomed";

  private CrashingWorkerMain() {}

  public static void main(String[] args) throws Exception {
    String stream = args[0];
    String group = args[1];
    String table = args[2];
    RedisClient jedis = TestRedis.client("batcher-stream-crash-child");
    HikariDataSource dataSource = TestPostgres.pool();
    BatchSink<Like> rows = StreamLikes.sink(dataSource, table);
    AtomicInteger calls = new AtomicInteger();
    CountDownLatch never = new CountDownLatch(1);
    BatchSink<Like> commitsThenHangs = new BatchSink<>() {
      @Override
      public BatchResult write(List<Like> batch) throws Exception {
        BatchResult result = rows.write(batch);
        if (calls.incrementAndGet() == 2) {
          System.out.println(COMMITTED + " " + batch.size());
          System.out.flush();
          never.await(); // the crash comes here: committed, never acknowledged
        }
        return result;
      }

      @Override
      public boolean isAtomic() {
        return rows.isAtomic();
      }
    };
    Batcher<Like> toDatabase = Batcher.builder(commitsThenHangs).maxBatchSize(100).build();
    StreamWorker.builder(jedis, stream, group, StreamLikes.CODEC, toDatabase)
        .consumer(CONSUMER).readCount(100).maxUnacked(500).block(Duration.ofMillis(100))
        .build();
    never.await();
  }
}
