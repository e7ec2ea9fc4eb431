package dev.batcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.testing.Stress;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A sink that fails at random: whole batches with retryable errors, single items retryably, calls
 * that hang past the delivery timeout, and poison items that always fail. Whatever it does, every
 * item must end exactly once (written once, dead-lettered once, or failed or dropped once),
 * every poison item must be dead-lettered, no good item may be written twice, and the counters
 * must balance. Randomness is seeded; the seed is in every assertion message, and {@code
 * -Dbatcher.chaos.seed=<seed>} replays one. The default run is a tenth of the full length, which
 * {@code -Dbatcher.stress.scale=10} runs.
 */
class ChaosTest {
  private static final Logger LOG = LoggerFactory.getLogger(ChaosTest.class);
  private static final int PRODUCERS = 4;
  private static final int ITEM_STATES = 4; // per item: 0 pending, then one of the endings below
  private static final int SUCCEEDED = 1;
  private static final int FAILED = 2;
  private static final int DEAD = 3;
  /** Items of the first run: 100,000 by default, a million at the full scale of 10. */
  private static final int FIRST_RUN_ITEMS = 100_000 * Stress.scale();
  /** Items of each later run: 20,000 by default, 200,000 at the full scale of 10. */
  private static final int LATER_RUN_ITEMS = 20_000 * Stress.scale();

  private static long[] seeds() {
    String fixed = System.getProperty("batcher.chaos.seed");
    if (fixed != null) {
      return new long[] {Long.parseLong(fixed)};
    }
    long base = System.nanoTime();
    return new long[] {base, base + 1, base + 2};
  }

  @Test
  void chaosSink_everyItemEndsExactlyOnce() throws Exception {
    long[] seeds = seeds();
    run(seeds[0], FIRST_RUN_ITEMS, true);
    for (int i = 1; i < seeds.length; i++) {
      run(seeds[i], LATER_RUN_ITEMS, i % 2 == 0);
    }
  }

  private void run(long seed, int items, boolean atomic) throws Exception {
    SplittableRandom config = new SplittableRandom(seed);
    int maxBatchSize = new int[] {16, 100, 500}[config.nextInt(3)];
    int inFlight = 2 + config.nextInt(3);
    double batchFailure = 0.02 + config.nextDouble() * 0.08;
    double itemFailure = 0.001 + config.nextDouble() * 0.01;
    // 40 to 200 poisons per run, whatever its length (a million items: one in 5,000 to 25,000).
    // Fewer would make "an atomic run bisects" a coin toss: a batch with poison is bisected only
    // when the sink throws for it, which it does half the time.
    int poisonEvery = (int) ((5_000L + config.nextInt(20_000)) * items / 1_000_000);
    String setup = "seed=" + seed + " items=" + items + " atomic=" + atomic + " maxBatchSize="
        + maxBatchSize + " inFlight=" + inFlight + " batchFailure=" + batchFailure
        + " itemFailure=" + itemFailure + " poisonEvery=" + poisonEvery;

    AtomicIntegerArray written = new AtomicIntegerArray(items);
    AtomicIntegerArray ended = new AtomicIntegerArray(items);
    AtomicIntegerArray endings = new AtomicIntegerArray(items);
    AtomicIntegerArray lettered = new AtomicIntegerArray(items);
    AtomicReference<String> violation = new AtomicReference<>();
    AtomicLong calls = new AtomicLong();
    AtomicInteger hangs = new AtomicInteger();

    BatchSink<Integer> chaos = new BatchSink<>() {
      @Override
      public BatchResult write(List<Integer> batch) throws Exception {
        SplittableRandom r = new SplittableRandom(seed ^ (calls.incrementAndGet() * 0x9E37L));
        boolean hasPoison = false;
        for (int id : batch) {
          hasPoison |= isPoison(id, poisonEvery);
        }
        if (!hasPoison && r.nextInt(4_000) == 0 && hangs.incrementAndGet() <= 2) {
          new CountDownLatch(1).await(); // hangs until the batcher abandons the call
          throw new IllegalStateException("unreachable: the hang should be interrupted");
        }
        if (r.nextDouble() < batchFailure) {
          throw new IOException("chaos: connection reset");
        }
        if (atomic && hasPoison && r.nextBoolean()) {
          throw new IllegalArgumentException("chaos: poison in batch");
        }
        BatchResult.Builder result = BatchResult.builder(batch.size());
        for (int i = 0; i < batch.size(); i++) {
          int id = batch.get(i);
          if (isPoison(id, poisonEvery)) {
            result.failedPermanently(i, new IllegalArgumentException("chaos: poison " + id));
          } else if (r.nextDouble() < itemFailure) {
            result.failedRetryably(i, new IOException("chaos: lock timeout " + id));
          } else if (written.incrementAndGet(id) != 1) {
            violation.compareAndSet(null, "item " + id + " written twice");
          }
        }
        return result.build();
      }

      @Override
      public boolean isAtomic() {
        return atomic;
      }
    };

    DeadLetterHandler<Integer> dead = letter -> {
      if (lettered.incrementAndGet(letter.item()) != 1) {
        violation.compareAndSet(null, "item " + letter.item() + " dead-lettered twice");
      }
    };
    Batcher<Integer> batcher = Batcher.builder(chaos).name("chaos").maxBatchSize(maxBatchSize)
        .queueCapacity(maxBatchSize * 8).maxInFlightBatches(inFlight)
        .deliveryTimeout(Duration.ofMillis(2_500))
        .retryPolicy(RetryPolicy.builder().maxAttempts(6).initialBackoff(Duration.ofMillis(1))
            .maxBackoff(Duration.ofMillis(20)).build())
        .deadLetterHandler(dead).idFunction(id -> "like-" + id).build();

    AtomicReference<String> accounting = new AtomicReference<>();
    Thread auditor = new Thread(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        BatcherMetrics m = batcher.metrics();
        long ends = m.succeeded() + m.deadLettered() + m.failed() + m.totalRefused()
            + m.totalDropped();
        if (ends + m.pending() != m.submitted() || m.pending() < 0) {
          accounting.compareAndSet(null, m.toString());
        }
        LockSupport.parkNanos(200_000); // audit often, but leave the cores to the batcher
      }
    }, "auditor");
    auditor.start();

    int perProducer = items / PRODUCERS;
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
          CompletableFuture<Void> f = batcher.submit(id);
          f.whenComplete((v, error) -> {
            ended.incrementAndGet(id);
            endings.set(id, error == null ? SUCCEEDED
                : error instanceof ItemWriteException && ((ItemWriteException) error).deadLettered()
                    ? DEAD : FAILED);
          });
        }
      }, "producer-" + p);
      producers.add(t);
      t.start();
    }
    start.countDown();
    for (Thread t : producers) {
      t.join(TimeUnit.SECONDS.toMillis(120));
      assertThat(t.isAlive()).as("producer stuck: " + setup).isFalse();
    }
    assertThat(batcher.close(Duration.ofSeconds(60))).as("close: " + setup).isTrue();
    auditor.interrupt();
    auditor.join();

    assertThat(violation.get()).as(setup).isNull();
    assertThat(accounting.get()).as("counters out of balance: " + setup).isNull();
    int total = perProducer * PRODUCERS;
    int poisons = 0;
    for (int id = 0; id < total; id++) {
      if (ended.get(id) != 1) {
        throw new AssertionError("item " + id + " ended " + ended.get(id) + " times: " + setup);
      }
      int ending = endings.get(id);
      if (isPoison(id, poisonEvery)) {
        poisons++;
        if (ending != DEAD || lettered.get(id) != 1 || written.get(id) != 0) {
          throw new AssertionError("poison " + id + " ended " + ending + ", lettered "
              + lettered.get(id) + ", written " + written.get(id) + ": " + setup);
        }
      } else if (ending == SUCCEEDED && written.get(id) != 1) {
        throw new AssertionError("item " + id + " succeeded but written " + written.get(id)
            + " times: " + setup);
      } else if (ending == DEAD && lettered.get(id) != 1) {
        throw new AssertionError("item " + id + " dead-lettered " + lettered.get(id)
            + " times: " + setup);
      }
      if (ending != SUCCEEDED && written.get(id) != 0 && atomic) {
        // An atomic sink's failed item was never written (a hang is interrupted before writing).
        throw new AssertionError("item " + id + " ended " + ending + " but was written: " + setup);
      }
    }
    BatcherMetrics m = batcher.metrics();
    LOG.info("{}: succeeded={} deadLettered={} failed={} dropped={} retries={} bisections={}"
        + " batches={} hangs={}", setup, m.succeeded(), m.deadLettered(), m.failed(),
        m.dropped(), m.retries(), m.bisections(), m.totalBatches(), hangs.get());
    assertThat(m.submitted()).as(setup).isEqualTo(total);
    assertThat(m.succeeded() + m.deadLettered() + m.failed() + m.totalRefused()
        + m.totalDropped()).as(setup).isEqualTo(total);
    assertThat(m.pending()).as(setup).isZero();
    assertThat(m.deadLettered()).as(setup).isGreaterThanOrEqualTo(poisons);
    assertThat(m.retries()).as(setup).isPositive();
    if (atomic && poisons > 0) {
      assertThat(m.bisections()).as(setup).isPositive();
    }
    if (!atomic) {
      assertThat(m.bisections()).as(setup).isZero();
    }
  }

  private static boolean isPoison(int id, int every) {
    return id % every == every / 2;
  }
}
