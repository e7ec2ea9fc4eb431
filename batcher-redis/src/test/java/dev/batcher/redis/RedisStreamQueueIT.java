package dev.batcher.redis;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import dev.batcher.BatchResult;
import dev.batcher.Batcher;
import dev.batcher.DeadLetterHandler;
import dev.batcher.InMemoryDeadLetters;
import dev.batcher.jdbc.JdbcSink;
import dev.batcher.jdbc.WriteStrategy;
import dev.batcher.redis.StreamLikes.Like;
import java.sql.JDBCType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.StreamEntryID;

/**
 * The durable queue end to end, against the test Redis ({@value TestRedis#VARIABLE}) and
 * PostgreSQL ({@value TestPostgres#VARIABLE}): likes go through a stream and a worker into a table
 * with {@code INSERT_IGNORE}. The first test is the sample of docs/redis.md.
 */
class RedisStreamQueueIT {
  private final RedisClient jedis = TestRedis.client("batcher-stream-it");
  private final HikariDataSource dataSource = TestPostgres.pool();
  private final String prefix = TestRedis.prefix("stream");
  private final String table = TestPostgres.table("stream");

  @AfterEach
  void cleanUp() throws Exception {
    TestRedis.deleteKeys(jedis, prefix);
    jedis.close();
    StreamLikes.dropTable(dataSource, table);
    dataSource.close();
  }

  @Test
  void tenThousandLikes_throughTheStream_eachWrittenOnce_nothingPending() throws Exception {
    StreamLikes.createTable(dataSource, table);
    String stream = prefix + ":likes";
    StreamCodec<Like> codec = StreamLikes.CODEC;
    // tag::redis-stream-queue[]
    // Producer: submit() completes once Redis has the like's entry
    RedisStreamSink<Like> toStream = RedisStreamSink.builder(jedis, stream, codec).build();
    Batcher<Like> queue = Batcher.builder(toStream).name("likes-queue").maxBatchSize(500).build();

    // Consumer: INSERT_IGNORE on the like's id, so a redelivered like is not written twice
    JdbcSink<Like> insertLikes = JdbcSink.<Like>builder(dataSource)
        .table(table)
        .column("id", JDBCType.BIGINT, Like::id)
        .column("post_id", JDBCType.BIGINT, Like::postId)
        .column("user_id", JDBCType.BIGINT, Like::userId)
        .keyColumns("id")
        .strategy(WriteStrategy.INSERT_IGNORE)
        .build();
    Batcher<Like> toDatabase = Batcher.builder(insertLikes)
        .name("likes-db")
        .maxBatchSize(1000)
        .deadLetterHandler(DeadLetterHandler.logging()) // rows refused for good are acked too
        .build();
    StreamWorker<Like> worker = StreamWorker.builder(jedis, stream, "likes-writers", codec,
            toDatabase)
        .consumer("writer-1") // stable across restarts: resumes its own pending entries
        .minIdle(Duration.ofMinutes(5)) // then another worker claims a crashed one's entries
        .deadLetterHandler(StreamDeadLetterHandler.toStream(jedis, stream + ":dead"))
        .build();

    List<CompletableFuture<Void>> inRedis = new ArrayList<>();
    for (long id = 0; id < 10_000; id++) {
      inRedis.add(queue.submit(new Like(id, 42, id)));
    }
    queue.close(); // every like is in the stream
    // end::redis-stream-queue[]
    assertThat(inRedis).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
    await().atMost(30, SECONDS).until(() -> worker.acked() == 10_000);
    // tag::redis-stream-queue[]

    worker.close(); // stops reading, lets toDatabase finish, acknowledges what it wrote
    toDatabase.close();
    // end::redis-stream-queue[]

    assertThat(StreamLikes.rows(dataSource, table)).isEqualTo(10_000);
    assertThat(jedis.xpending(stream, "likes-writers").getTotal()).isZero();
    assertThat(jedis.xlen(stream)).isEqualTo(10_000);
    assertThat(toStream.roundTrips()).as("one XADD pipeline per batch").isLessThan(1_000);
    assertThat(worker.deadLettered()).isZero();
    assertThat(jedis.exists(stream + ":dead")).isFalse();
  }

  @Test
  void poisonEntries_undecodableAndRefusedByTheDatabase_areDeadLetteredAndAcked()
      throws Exception {
    StreamLikes.createTable(dataSource, table);
    String stream = prefix + ":poison";
    List<StreamDeadLetter> streamLetters = new CopyOnWriteArrayList<>();
    InMemoryDeadLetters<Like> rowLetters = new InMemoryDeadLetters<>();
    try (Batcher<Like> toDatabase = Batcher.builder(StreamLikes.sink(dataSource, table))
        .deadLetterHandler(rowLetters).build();
        StreamWorker<Like> worker = StreamWorker.builder(jedis, stream, "g", StreamLikes.CODEC,
            toDatabase).block(Duration.ofMillis(100)).deadLetterHandler(streamLetters::add)
            .build()) {
      for (long id = 0; id < 1_000; id++) {
        if (id == 10) {
          jedis.xadd(stream, StreamEntryID.NEW_ENTRY, Map.of(StreamCodec.FIELD, "not a like"));
        }
        if (id == 500) {
          jedis.xadd(stream, StreamEntryID.NEW_ENTRY, Map.of("other", "field"));
        }
        long user = id == 700 ? -1 : id; // violates the CHECK: refused for good
        jedis.xadd(stream, StreamEntryID.NEW_ENTRY,
            StreamLikes.CODEC.encode(new Like(id, 1, user)));
      }
      await().atMost(30, SECONDS).until(() -> worker.acked() == 1_002);

      assertThat(streamLetters).hasSize(2);
      assertThat(streamLetters).allSatisfy(l -> {
        assertThat(l.stream()).isEqualTo(stream);
        assertThat(l.deliveries()).isEqualTo(1);
      });
      assertThat(streamLetters.get(0).fields()).containsEntry(StreamCodec.FIELD, "not a like");
      assertThat(streamLetters.get(0).cause()).hasMessage("not a like: 'not a like'");
      assertThat(streamLetters.get(1).cause())
          .hasMessage("the entry has no field 'item'; its fields: [other]");
      assertThat(rowLetters.items()).containsExactly(new Like(700, 1, -1));
      assertThat(worker.deadLettered()).isEqualTo(2);
    }
    assertThat(StreamLikes.rows(dataSource, table)).isEqualTo(999);
    assertThat(jedis.xpending(stream, "g").getTotal()).isZero();
  }

  @Test
  void itemFailingWithoutDeadLetter_isRedelivered_thenDeadLetteredAfterMaxDeliveries()
      throws Exception {
    String stream = prefix + ":redeliver";
    List<StreamDeadLetter> letters = new CopyOnWriteArrayList<>();
    List<Like> attempts = new CopyOnWriteArrayList<>();
    // A sink that refuses like 3 for good, with no dead-letter handler on its batcher: the entry
    // is not acked, claimed again once idle, and given up after maxDeliveries.
    try (Batcher<Like> toNowhere = Batcher.<Like>builder(batch -> {
          BatchResult.Builder r = BatchResult.builder(batch.size());
          for (int i = 0; i < batch.size(); i++) {
            attempts.add(batch.get(i));
            if (batch.get(i).id() == 3) {
              r.failedPermanently(i, new IllegalArgumentException("like 3 is refused"));
            }
          }
          return r.build();
        }).build();
        StreamWorker<Like> worker = StreamWorker.builder(jedis, stream, "g", StreamLikes.CODEC,
            toNowhere).block(Duration.ofMillis(50)).minIdle(Duration.ofMillis(50))
            .claimInterval(Duration.ofMillis(20)).maxDeliveries(3)
            .deadLetterHandler(letters::add).build()) {
      for (long id = 0; id < 5; id++) {
        jedis.xadd(stream, StreamEntryID.NEW_ENTRY, StreamLikes.CODEC.encode(new Like(id, 1, id)));
      }
      await().atMost(30, SECONDS).until(() -> worker.acked() == 5);
      assertThat(letters).singleElement().satisfies(l -> {
        assertThat(l.deliveries()).isEqualTo(4);
        assertThat(l.cause()).hasMessage("the entry was delivered 4 times, more than"
            + " maxDeliveries (3)");
        assertThat(l.fields()).containsEntry(StreamCodec.FIELD, "3:1:3");
      });
      assertThat(attempts.stream().filter(l -> l.id() == 3)).hasSize(3);
    }
    assertThat(jedis.xpending(stream, "g").getTotal()).isZero();
  }
}
