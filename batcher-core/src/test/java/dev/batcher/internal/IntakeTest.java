package dev.batcher.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.testing.Stress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The contract both intakes keep (the ring for BLOCK and FAIL, the locked deque for DROP_OLDEST):
 * under contention every published entry comes out exactly once, each producer's in its order;
 * the capacity bound holds; cancelled claims give their room back; flush epochs are stamped in
 * sequence order.
 */
class IntakeTest {
  private static final int PRODUCERS = 6;
  /** 10,000 by default; {@code -Dbatcher.stress.scale=10} runs the full 100,000. */
  private static final int PER_PRODUCER = 10_000 * Stress.scale();

  private final AtomicInteger roomFromIntake = new AtomicInteger();

  private Intake<Integer> ring(int capacity) {
    return Intake.ring(new FlushTracker(), capacity, roomFromIntake::addAndGet);
  }

  private Intake<Integer> locked(int capacity) {
    return Intake.locked(new FlushTracker(), capacity, roomFromIntake::addAndGet);
  }

  @Test
  void ring_manyProducersOneConsumer_smallRingWrapsManyTimes() throws Exception {
    check(ring(5)); // a ring of 8 slots, wrapped 7,500 times (75,000 at full scale)
  }

  @Test
  void ring_manyProducersOneConsumer_severalChunks() throws Exception {
    check(ring(20_000)); // five chunks of 4,096 slots, allocated as the backlog grows
  }

  @Test
  void locked_manyProducersOneConsumer() throws Exception {
    check(locked(64));
  }

  @Test
  void ring_emptySingleAndCapacity() {
    emptySingleAndCapacity(ring(2));
  }

  @Test
  void locked_emptySingleAndCapacity() {
    emptySingleAndCapacity(locked(2));
  }

  private void emptySingleAndCapacity(Intake<Integer> q) {
    assertThat(q.peek()).isNull();
    assertThat(q.poll()).isNull();
    assertThat(q.hasClaims()).isFalse();
    long t1 = q.claim();
    long t2 = q.claim();
    assertThat(q.claim()).as("capacity 2").isEqualTo(Intake.FULL);
    assertThat(q.accepted()).isEqualTo(2);
    Entry<Integer> e1 = entry(1);
    Entry<Integer> e2 = entry(2);
    q.publish(t1, e1);
    q.publish(t2, e2);
    assertThat(q.queued()).isEqualTo(2);
    assertThat(q.peek()).isSameAs(e1);
    assertThat(q.poll()).isSameAs(e1);
    assertThat(e1.epoch).as("stamped when taken out").isNotNull();
    assertThat(q.claim()).as("taking out does not give room back").isEqualTo(Intake.FULL);
    q.release(1);
    long t3 = q.claim();
    assertThat(t3).isNotEqualTo(Intake.FULL);
    q.cancel(t3);
    assertThat(q.poll()).isSameAs(e2);
    assertThat(q.poll()).as("a cancelled claim is never handed out").isNull();
    q.release(1);
    assertThat(q.accepted()).isZero();
    assertThat(q.acceptedTotal()).isEqualTo(2);
    assertThat(q.hasClaims()).isFalse();
    assertThat(roomFromIntake.get()).as("the cancelled claim's room").isEqualTo(1);
  }

  @Test
  void ring_claimedButUnpublished_blocksWhatIsBehindIt() {
    Intake<Integer> q = ring(8);
    long a = q.claim();
    long b = q.claim();
    Entry<Integer> eb = entry(2);
    q.publish(b, eb);
    assertThat(q.peek()).as("order is kept: b waits behind a's empty slot").isNull();
    assertThat(q.hasClaims()).isTrue();
    Entry<Integer> ea = entry(1);
    q.publish(a, ea);
    assertThat(q.poll()).isSameAs(ea);
    assertThat(q.poll()).isSameAs(eb);
    assertThat(q.hasClaims()).isFalse();
  }

  @Test
  void ring_tombstoneGivesRoomBackOnlyWhenTakenOut() {
    Intake<Integer> q = ring(1);
    long t = q.claim();
    q.cancel(t);
    assertThat(q.accepted()).as("until a consumer takes the tombstone out").isEqualTo(1);
    assertThat(q.claim()).isEqualTo(Intake.FULL);
    assertThat(q.peek()).isNull();
    assertThat(q.accepted()).isZero();
    assertThat(roomFromIntake.get()).isEqualTo(1);
    assertThat(q.claim()).isNotEqualTo(Intake.FULL);
  }

  @Test
  void ring_flushEpochsFollowSequenceNumbers() {
    FlushTracker flushes = new FlushTracker();
    Intake<Integer> q = Intake.ring(flushes, 16, n -> { });
    Entry<Integer> first = publish(q, 1);
    Entry<Integer> second = publish(q, 2);
    var flushed = flushes.flush(q::nextSequence); // ends the epoch at sequence 2
    assertThat(flushes.flush(q::nextSequence)).as("nothing accepted since").isSameAs(flushed);
    Entry<Integer> third = publish(q, 3);
    q.poll();
    q.poll();
    q.poll();
    assertThat(first.epoch).isSameAs(second.epoch);
    assertThat(third.epoch).isNotSameAs(first.epoch);
    assertThat(first.epoch.closed).as("closed when the consumer passed its end").isTrue();
    assertThat(q.closeConsumedEpochs()).as("nothing left to close").isFalse();
    flushes.poll();
    assertThat(flushed).as("two entries unfinished").isNotDone();
    first.epoch.finished.add(2);
    flushes.poll();
    assertThat(flushed).isCompleted();
  }

  private static Entry<Integer> publish(Intake<Integer> q, int value) {
    Entry<Integer> e = entry(value);
    q.publish(q.claim(), e);
    return e;
  }

  private static Entry<Integer> entry(int value) {
    return new Entry<>(value, 0, null);
  }

  /**
   * A producer that loses the claim's compare-and-set backs off, and another producer claims
   * meanwhile (here: a nested claim from the back-off hook, once per back-off, a hundred times
   * at most). The loser must read the counter again after backing off: retrying with the value it
   * lost to fails for as long as the other producer keeps claiming.
   */
  @Test
  void ring_claimAfterBackOff_readsTheCounterAgain() {
    int[] backOffs = {0};
    List<Long> others = new ArrayList<>();
    RingIntake<Integer> q = new RingIntake<>(new FlushTracker(), 1024, n -> { });
    q.probeEachBackOff(() -> {
      if (++backOffs[0] <= 100) {
        others.add(q.claim()); // the winner claims again while the loser backs off
      }
    });
    long first = q.claim();

    long ticket = q.claimFrom(first); // stale: the counter is at first + 1 already

    assertThat(backOffs[0]).as("back-offs before the claim succeeded").isEqualTo(1);
    assertThat(others).containsExactly(first + 1);
    assertThat(ticket).isEqualTo(first + 2);
  }

  private static void check(Intake<Integer> q) throws Exception {
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> producers = new ArrayList<>();
    for (int p = 0; p < PRODUCERS; p++) {
      int base = p * PER_PRODUCER;
      Thread t = new Thread(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int i = 0; i < PER_PRODUCER; i++) {
          long ticket;
          while ((ticket = q.claim()) == Intake.FULL) {
            // The consumer releases as it takes entries out. Yield, not spin: six producers
            // spinning on two cores starve the consumer for whole time slices.
            Thread.yield();
          }
          q.publish(ticket, entry(base + i));
        }
      });
      producers.add(t);
      t.start();
    }
    start.countDown();
    int[] last = new int[PRODUCERS];
    java.util.Arrays.fill(last, -1);
    boolean[] seen = new boolean[PRODUCERS * PER_PRODUCER];
    int taken = 0;
    while (taken < seen.length) {
      Entry<Integer> e = q.poll();
      if (e == null) {
        Thread.yield(); // let the producers run
        continue;
      }
      q.release(1);
      int v = e.item;
      assertThat(seen[v]).as("entry %s taken twice", v).isFalse();
      seen[v] = true;
      int p = v / PER_PRODUCER;
      assertThat(v).as("producer %s order", p).isGreaterThan(last[p]);
      last[p] = v;
      taken++;
    }
    for (Thread t : producers) {
      t.join();
    }
    assertThat(q.poll()).isNull();
    assertThat(q.accepted()).isZero();
    assertThat(q.acceptedTotal()).isEqualTo((long) PRODUCERS * PER_PRODUCER);
  }
}
