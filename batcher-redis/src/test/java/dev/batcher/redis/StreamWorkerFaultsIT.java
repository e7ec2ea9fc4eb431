package dev.batcher.redis;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.batcher.BatchResult;
import dev.batcher.Batcher;
import dev.batcher.OverflowPolicy;
import dev.batcher.redis.StreamLikes.Like;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.XClaimParams;
import redis.clients.jedis.params.XReadGroupParams;

/**
 * The stream worker under faults, against the test Redis ({@value TestRedis#VARIABLE}): a
 * refusing downstream batcher, entries deleted while pending, a codec or handler throwing an
 * {@link Error}, close from its own or the downstream's threads, a destroyed group, and delivery
 * counts of claimed entries.
 */
class StreamWorkerFaultsIT {
  private final RedisClient jedis = TestRedis.client("batcher-stream-faults-it");
  private final String prefix = TestRedis.prefix("stream-faults");
  private final List<StreamDeadLetter> letters = new CopyOnWriteArrayList<>();

  @AfterEach
  void cleanUp() throws Exception {
    TestRedis.deleteKeys(jedis, prefix);
    jedis.close();
  }

  private List<StreamEntryID> add(String stream, int from, int to) throws Exception {
    List<StreamEntryID> ids = new ArrayList<>();
    for (long id = from; id < to; id++) {
      ids.add(jedis.xadd(stream, StreamEntryID.NEW_ENTRY,
          StreamLikes.CODEC.encode(new Like(id, 1, id))));
    }
    return ids;
  }

  @Test
  void fullDownstreamQueue_isBackpressure_notAFailedDelivery() throws Exception {
    String stream = prefix + ":full";
    add(stream, 0, 2_000);
    Set<Long> written = ConcurrentHashMap.newKeySet();
    try (Batcher<Like> downstream = Batcher.<Like>builder(batch -> {
          batch.forEach(like -> written.add(like.id()));
          return BatchResult.success();
        }).maxBatchSize(50).queueCapacity(100).overflow(OverflowPolicy.FAIL).build();
        StreamWorker<Like> worker = StreamWorker.builder(jedis, stream, "g", StreamLikes.CODEC,
            downstream).block(Duration.ofMillis(50)).minIdle(Duration.ofMillis(500))
            .claimInterval(Duration.ofMillis(20)).maxDeliveries(2)
            .deadLetterHandler(letters::add).build()) {
      await().atMost(30, SECONDS).until(() -> worker.acked() == 2_000);
      assertThat(written).hasSize(2_000);
      assertThat(letters).isEmpty();
      assertThat(worker.deadLettered()).isZero();
    }
    assertThat(jedis.xpending(stream, "g").getTotal()).isZero();
  }

  @Test
  void closedDownstream_stopsTheWorker_leavingEveryEntryPending() throws Exception {
    String stream = prefix + ":closed";
    add(stream, 0, 200);
    Batcher<Like> downstream = Batcher.<Like>builder(batch -> BatchResult.success()).build();
    downstream.close();
    try (StreamWorker<Like> worker = StreamWorker.builder(jedis, stream, "g", StreamLikes.CODEC,
        downstream).block(Duration.ofMillis(50)).minIdle(Duration.ofMillis(50))
        .claimInterval(Duration.ofMillis(10)).maxDeliveries(2).deadLetterHandler(letters::add)
        .build()) {
      await().atMost(10, SECONDS).until(() -> !worker.isRunning());
      assertThat(worker.failure()).isNull();
      assertThat(worker.deadLettered()).isZero();
      assertThat(letters).isEmpty();
      assertThat(jedis.xpending(stream, "g").getTotal()).isEqualTo(200);
    }
  }

  @Test
  void entryDeletedWhilePending_isDeadLetteredWithItsId() throws Exception {
    String stream = prefix + ":deleted";
    jedis.xgroupCreate(stream, "g", new StreamEntryID(0, 0), true);
    List<StreamEntryID> ids = add(stream, 0, 3);
    jedis.xreadGroup("g", "crashed", XReadGroupParams.xReadGroupParams().count(3),
        Map.of(stream, StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY));
    jedis.xdel(stream, ids.get(1));
    Set<Long> written = ConcurrentHashMap.newKeySet();
    try (Batcher<Like> downstream = Batcher.<Like>builder(batch -> {
          batch.forEach(like -> written.add(like.id()));
          return BatchResult.success();
        }).build();
        StreamWorker<Like> worker = StreamWorker.builder(jedis, stream, "g", StreamLikes.CODEC,
            downstream).block(Duration.ofMillis(50)).minIdle(Duration.ofMillis(1))
            .claimInterval(Duration.ofMillis(10)).deadLetterHandler(letters::add).build()) {
      await().atMost(10, SECONDS).until(() -> worker.acked() == 2 && letters.size() == 1);
      assertThat(letters.get(0).id()).isEqualTo(ids.get(1).toString());
      assertThat(letters.get(0).fields()).isEmpty();
      assertThat(letters.get(0).cause()).hasMessageContaining("deleted or trimmed");
      assertThat(worker.deadLettered()).isEqualTo(1);
      assertThat(written).containsExactlyInAnyOrder(0L, 2L);
    }
    assertThat(jedis.xpending(stream, "g").getTotal()).isZero();
  }

  @Test
  void errorsFromTheCodecAndTheHandler_areSurvived_theWorkerKeepsRunning() throws Exception {
    String stream = prefix + ":errors";
    add(stream, 0, 5);
    StreamCodec<Like> codec = StreamCodec.ofString(
        like -> like.id() + ":" + like.postId() + ":" + like.userId(), s -> {
      if (s.startsWith("2:")) {
        throw new AssertionError("like 2 breaks the codec");
      }
      return StreamLikes.parse(s);
    });
    AtomicBoolean handlerFailed = new AtomicBoolean();
    try (Batcher<Like> downstream = Batcher.<Like>builder(batch -> BatchResult.success()).build();
        StreamWorker<Like> worker = StreamWorker.builder(jedis, stream, "g", codec, downstream)
            .block(Duration.ofMillis(50)).minIdle(Duration.ofMillis(50))
            .claimInterval(Duration.ofMillis(20)).deadLetterHandler(letter -> {
              if (handlerFailed.compareAndSet(false, true)) {
                throw new LinkageError("the handler breaks once");
              }
              letters.add(letter);
            }).build()) {
      await().atMost(10, SECONDS).until(() -> worker.acked() == 5);
      assertThat(letters).singleElement().satisfies(l -> {
        assertThat(l.cause()).isInstanceOf(AssertionError.class)
            .hasMessage("like 2 breaks the codec");
        assertThat(l.deliveries()).isEqualTo(2);
      });
      assertThat(worker.isRunning()).isTrue();
      assertThat(worker.failure()).isNull();
    }
    assertThat(jedis.xpending(stream, "g").getTotal()).isZero();
  }

  @Test
  void closeFromTheDeadLetterHandler_returns_andTheWorkerStops() throws Exception {
    String stream = prefix + ":close-self";
    jedis.xadd(stream, StreamEntryID.NEW_ENTRY, Map.of(StreamCodec.FIELD, "not a like"));
    AtomicReference<StreamWorker<Like>> self = new AtomicReference<>();
    CountDownLatch closed = new CountDownLatch(1);
    try (Batcher<Like> downstream = Batcher.<Like>builder(batch -> BatchResult.success()).build()) {
      StreamWorker<Like> worker = StreamWorker.builder(jedis, stream, "g", StreamLikes.CODEC,
          downstream).block(Duration.ofMillis(50)).deadLetterHandler(letter -> {
            await().until(() -> self.get() != null);
            assertThat(self.get().close(Duration.ofSeconds(30))).isFalse();
            closed.countDown();
          }).build();
      self.set(worker);
      assertThat(closed.await(10, SECONDS)).as("close on the worker's thread returned").isTrue();
      await().atMost(10, SECONDS).until(() -> !worker.isRunning());
      assertThat(worker.acked()).isEqualTo(1);
      worker.close();
    }
  }

  @Test
  void closeFromADownstreamThread_waitsAtMostItsTimeout() throws Exception {
    String stream = prefix + ":close-downstream";
    add(stream, 0, 3);
    AtomicReference<StreamWorker<Like>> worker = new AtomicReference<>();
    AtomicReference<Boolean> closedInTime = new AtomicReference<>();
    try (Batcher<Like> downstream = Batcher.<Like>builder(batch -> {
          await().until(() -> worker.get() != null);
          if (closedInTime.get() == null) { // on the batcher's thread, which the drain waits for
            closedInTime.set(worker.get().close(Duration.ofMillis(300)));
          }
          return BatchResult.success();
        }).build()) {
      worker.set(StreamWorker.builder(jedis, stream, "g", StreamLikes.CODEC, downstream)
          .block(Duration.ofMillis(50)).build());
      await().atMost(10, SECONDS).until(() -> closedInTime.get() != null);
      assertThat(closedInTime.get()).as("the worker ended within the close's timeout").isTrue();
      assertThat(worker.get().isRunning()).isFalse();
    }
  }

  @Test
  void destroyedGroup_isRecreatedAfterTheLastAcknowledgedEntry_notReplayed() throws Exception {
    String stream = prefix + ":nogroup";
    add(stream, 0, 10);
    List<Long> submitted = new CopyOnWriteArrayList<>();
    try (Batcher<Like> downstream = Batcher.<Like>builder(batch -> {
          batch.forEach(like -> submitted.add(like.id()));
          return BatchResult.success();
        }).build();
        StreamWorker<Like> worker = StreamWorker.builder(jedis, stream, "g", StreamLikes.CODEC,
            downstream).block(Duration.ofMillis(50)).build()) {
      await().atMost(10, SECONDS).until(() -> worker.acked() == 10);
      jedis.xgroupDestroy(stream, "g");
      StreamEntryID last = add(stream, 10, 15).get(4);
      await().atMost(10, SECONDS).until(() -> worker.acked() >= 15
          && jedis.xinfoGroups(stream).get(0).getLastDeliveredId().equals(last)
          && jedis.xpending(stream, "g").getTotal() == 0);
      assertThat(submitted).as("each like once: no replay from id 0").hasSize(15)
          .doesNotHaveDuplicates();
      assertThat(worker.acked()).isEqualTo(15);
    }
  }

  @Test
  void claimedEntries_getTheirOwnDeliveryCounts_evenAmongManyOthersPending() throws Exception {
    String stream = prefix + ":counts";
    jedis.xgroupCreate(stream, "g", new StreamEntryID(0, 0), true);
    List<StreamEntryID> ids = add(stream, 0, 10);
    jedis.xreadGroup("g", "other", XReadGroupParams.xReadGroupParams().count(10),
        Map.of(stream, StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY));
    // the first and last are long idle and delivered 10 times; the 8 between are this worker's
    jedis.xclaim(stream, "g", "other", 0, XClaimParams.xClaimParams().idle(100_000)
        .retryCount(10), ids.get(0), ids.get(9));
    jedis.xclaim(stream, "g", "w", 0, XClaimParams.xClaimParams(),
        ids.subList(1, 9).toArray(new StreamEntryID[0]));
    try (Batcher<Like> downstream = Batcher.<Like>builder(batch -> BatchResult.success()).build();
        StreamWorker<Like> worker = StreamWorker.builder(jedis, stream, "g", StreamLikes.CODEC,
            downstream).consumer("w").maxUnacked(2).readCount(2).maxDeliveries(3)
            .minIdle(Duration.ofSeconds(10)).block(Duration.ofMillis(50))
            .deadLetterHandler(letters::add).build()) {
      await().atMost(10, SECONDS).until(() -> worker.acked() == 10);
      assertThat(letters).extracting(StreamDeadLetter::id)
          .containsExactlyInAnyOrder(ids.get(0).toString(), ids.get(9).toString());
      assertThat(letters).allSatisfy(l -> assertThat(l.deliveries()).isEqualTo(11));
    }
  }
}
