package dev.batcher.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** Both queues under contention: every entry comes out once, each producer's in its order. */
class EntryQueueTest {
  private static final int PRODUCERS = 6;
  private static final int PER_PRODUCER = 200_000;

  @Test
  void linked_manyProducersOneConsumer() throws Exception {
    check(EntryQueue.linked());
  }

  @Test
  void multiConsumer_manyProducersOneConsumer() throws Exception {
    check(EntryQueue.multiConsumer());
  }

  @Test
  void linked_emptyAndSingle() {
    EntryQueue<Integer> q = EntryQueue.linked();
    assertThat(q.peek()).isNull();
    assertThat(q.poll()).isNull();
    Entry<Integer> e = entry(7);
    q.offer(e);
    assertThat(q.peek()).isSameAs(e);
    assertThat(q.poll()).isSameAs(e);
    assertThat(q.poll()).isNull();
    assertThat(q.peek()).isNull();
  }

  private static Entry<Integer> entry(int value) {
    return new Entry<>(value, 0, 0, new FlushTracker().current(), null);
  }

  private static void check(EntryQueue<Integer> q) throws Exception {
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
          q.offer(entry(base + i));
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
        Thread.onSpinWait();
        continue;
      }
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
  }
}
