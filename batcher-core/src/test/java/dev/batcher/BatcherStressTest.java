package dev.batcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.testing.Stress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Many producers, millions of items, a configuration drawn from a seed: every accepted item must
 * be written exactly once, every future must complete exactly once, no batch may pass its bounds,
 * and the counters must add up. The seed is in every assertion message; rerun one with
 * {@code -Dbatcher.stress.seed=<seed>}. The default run is a tenth of the full length, which
 * {@code -Dbatcher.stress.scale=10} runs.
 */
class BatcherStressTest {
  private static final int PRODUCERS = 8;
  /** Items of the blocking run: 200,000 by default, 2 million at the full scale of 10. */
  private static final int BLOCKING_ITEMS = 200_000 * Stress.scale();
  /** Items of each shedding run: 50,000 by default, 500,000 at the full scale of 10. */
  private static final int SHEDDING_ITEMS = 50_000 * Stress.scale();

  private static long seed() {
    String fixed = System.getProperty("batcher.stress.seed");
    return fixed != null ? Long.parseLong(fixed) : System.nanoTime();
  }

  @Test
  void blockingOverflow_everyItemWrittenExactlyOnce() throws Exception {
    run(seed(), BLOCKING_ITEMS, OverflowPolicy.BLOCK);
  }

  @Test
  void sheddingOverflow_everyItemEndsExactlyOnce() throws Exception {
    long seed = seed();
    run(seed, SHEDDING_ITEMS, OverflowPolicy.FAIL);
    run(seed + 1, SHEDDING_ITEMS, OverflowPolicy.DROP_OLDEST);
  }

  private void run(long seed, int items, OverflowPolicy overflow) throws Exception {
    Random random = new Random(seed);
    int maxBatchSize = new int[] {1, 3, 64, 512}[random.nextInt(4)];
    int capacity = maxBatchSize * (1 + random.nextInt(8)) + random.nextInt(100);
    Duration maxDelay = new Duration[] {Duration.ZERO, Duration.ofNanos(200_000),
        Duration.ofMillis(1)}[random.nextInt(3)];
    int inFlight = 1 + random.nextInt(3);
    boolean weighted = random.nextBoolean();
    long maxWeight = weighted ? 6 + maxBatchSize * 2L + random.nextInt(5) : Long.MAX_VALUE; // items weigh 0..6
    int slowEvery = 1 + random.nextInt(50);
    String config = "seed=" + seed + " items=" + items + " overflow=" + overflow
        + " maxBatchSize=" + maxBatchSize + " capacity=" + capacity + " maxDelay=" + maxDelay
        + " inFlight=" + inFlight + " maxWeight=" + (weighted ? maxWeight : "none");

    AtomicIntegerArray written = new AtomicIntegerArray(items);
    AtomicIntegerArray completed = new AtomicIntegerArray(items);
    AtomicIntegerArray succeeded = new AtomicIntegerArray(items);
    AtomicReference<String> violation = new AtomicReference<>();
    AtomicLong sinkCalls = new AtomicLong();
    AtomicInteger[] lastSeen = new AtomicInteger[PRODUCERS];
    for (int p = 0; p < PRODUCERS; p++) {
      lastSeen[p] = new AtomicInteger(-1);
    }
    int perProducer = items / PRODUCERS;

    BatchSink<Integer> sink = batch -> {
      long call = sinkCalls.incrementAndGet();
      long weight = 0;
      for (int id : batch) {
        weight += id % 7;
        if (written.incrementAndGet(id) != 1) {
          violation.compareAndSet(null, "item " + id + " written twice");
        }
        if (inFlight == 1) { // one batch at a time: each producer's items stay in order
          int producer = id / perProducer;
          if (lastSeen[producer].getAndSet(id) > id) {
            violation.compareAndSet(null, "item " + id + " out of order");
          }
        }
      }
      if (batch.size() > maxBatchSize || batch.isEmpty()) {
        violation.compareAndSet(null, "batch of " + batch.size() + " items");
      }
      if (weighted && weight > maxWeight) {
        violation.compareAndSet(null, "batch of weight " + weight);
      }
      if (call % slowEvery == 0) {
        Thread.yield(); // a sink that is sometimes slower, so queues fill and drain
      }
      return BatchResult.success();
    };

    BatcherBuilder<Integer> builder = Batcher.builder(sink).name("stress")
        .maxBatchSize(maxBatchSize).queueCapacity(capacity).maxDelay(maxDelay)
        .maxInFlightBatches(inFlight).overflow(overflow);
    if (weighted) {
      builder.weigher(id -> id % 7).maxBatchWeight(maxWeight);
    }
    Batcher<Integer> batcher = builder.build();

    CountDownLatch start = new CountDownLatch(1);
    List<Thread> producers = new ArrayList<>();
    for (int p = 0; p < PRODUCERS; p++) {
      int base = p * perProducer;
      Thread t = new Thread(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int i = 0; i < perProducer; i++) {
          int id = base + i;
          CompletableFuture<Void> f;
          try {
            f = batcher.submit(id);
          } catch (RuntimeException e) {
            violation.compareAndSet(null, "submit threw " + e);
            return;
          }
          f.whenComplete((v, error) -> {
            completed.incrementAndGet(id);
            if (error == null) {
              succeeded.incrementAndGet(id);
            }
          });
        }
      }, "producer-" + p);
      producers.add(t);
      t.start();
    }
    start.countDown();
    for (Thread t : producers) {
      t.join(TimeUnit.SECONDS.toMillis(60));
      assertThat(t.isAlive()).as("producer stuck: " + config).isFalse();
    }
    assertThat(batcher.close(Duration.ofSeconds(60))).as("close: " + config).isTrue();

    int total = perProducer * PRODUCERS;
    assertThat(violation.get()).as(config).isNull();
    long writtenCount = 0;
    for (int id = 0; id < total; id++) {
      int c = completed.get(id);
      if (c != 1) {
        throw new AssertionError("item " + id + " completed " + c + " times: " + config);
      }
      if (written.get(id) != succeeded.get(id)) {
        throw new AssertionError("item " + id + " written " + written.get(id)
            + " times but succeeded " + succeeded.get(id) + " times: " + config);
      }
      writtenCount += written.get(id);
    }
    BatcherMetrics m = batcher.metrics();
    assertThat(m.submitted()).as(config).isEqualTo(total);
    assertThat(m.succeeded()).as(config).isEqualTo(writtenCount);
    assertThat(m.succeeded() + m.failed() + m.totalRefused() + m.totalDropped())
        .as(config).isEqualTo(total);
    assertThat(m.pending()).as(config).isZero();
    assertThat(m.totalBatches()).as(config).isEqualTo(sinkCalls.get());
    assertThat(m.batchSize().max()).as(config).isLessThanOrEqualTo(maxBatchSize);
    if (overflow == OverflowPolicy.BLOCK) {
      assertThat(writtenCount).as(config).isEqualTo(total);
    }
  }
}
