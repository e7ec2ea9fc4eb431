package dev.batcher.internal;

import dev.batcher.DropReason;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Entries waiting out a backoff, and halves of failed atomic batches, in the order they are due.
 * Workers that finish a sink call {@linkplain #hand hand} groups over through a lock-free inbox,
 * because they must not wait for the consumer lock (an idle former holds it while parked); the
 * former {@linkplain #pull pulls} them into its heap.
 *
 * <p>Thread-safety: {@link #hand}, {@link #inboxIsEmpty} and {@link #dropInbox} from any thread;
 * everything else only under the batcher's consumer lock.
 *
 * <p>Internal: not API, may change in any release.
 */
final class RetryQueue<T> {

  /** Entries due for another attempt at {@link #notBefore}; pinned groups go out as they are. */
  static final class Group<T> implements Comparable<Group<T>> {
    final List<Entry<T>> entries;
    final boolean pinned;
    /** A half of a split batch, sent at once: see {@link FormedBatch#isolating}. */
    final boolean isolating;
    final long notBefore;
    final long seq;
    int next; // entries before this index were taken into batches

    Group(List<Entry<T>> entries, boolean pinned, boolean isolating, long notBefore, long seq) {
      this.entries = entries;
      this.pinned = pinned;
      this.isolating = isolating;
      this.notBefore = notBefore;
      this.seq = seq;
    }

    @Override
    public int compareTo(Group<T> o) {
      int c = Long.compare(notBefore - o.notBefore, 0); // wrap-safe nanoTime order
      return c != 0 ? c : Long.compare(seq, o.seq);
    }
  }

  private final PriorityQueue<Group<T>> heap = new PriorityQueue<>();
  private final ConcurrentLinkedQueue<Group<T>> inbox = new ConcurrentLinkedQueue<>();
  /** Orders groups due at the same time by when they were handed over; only unique numbers. */
  private final AtomicLong seq = new AtomicLong();

  /** Hands a group of retries (pinned: being isolated) to the former. Any thread. */
  void hand(List<Entry<T>> entries, boolean pinned, long notBefore) {
    inbox.add(new Group<>(entries, pinned, false, notBefore, seq.incrementAndGet()));
  }

  /** Hands a half of a split batch to the former, due at once. Any thread. */
  void handHalf(List<Entry<T>> half, long now) {
    inbox.add(new Group<>(half, true, true, now, seq.incrementAndGet()));
  }

  boolean inboxIsEmpty() {
    return inbox.isEmpty();
  }

  /** Drops whatever is in the inbox: close(Duration) gave up while a worker handed it over. */
  void dropInbox(Settlement<T> s) {
    for (Group<T> g; (g = inbox.poll()) != null; ) {
      for (Entry<T> e : g.entries) {
        s.drop(e, DropReason.CLOSE_TIMEOUT);
      }
    }
  }

  /** Moves handed-over groups into the heap. */
  void pull() {
    for (Group<T> g; (g = inbox.poll()) != null; ) {
      heap.add(g);
    }
  }

  /** The group due first, or null. */
  @Nullable Group<T> peek() {
    return heap.peek();
  }

  /**
   * Takes a due pinned group whole, dropping its expired entries.
   *
   * @return its live entries, or null if none is left
   */
  @Nullable List<Entry<T>> takePinned(long now, long deliveryTimeoutNanos, Settlement<T> s) {
    Group<T> g = heap.poll();
    if (g == null) {
      return null;
    }
    List<Entry<T>> entries = new ArrayList<>(g.entries.size());
    for (Entry<T> e : g.entries) {
      if (now - e.acceptedAt >= deliveryTimeoutNanos) {
        s.drop(e, DropReason.DELIVERY_TIMEOUT);
      } else if (!e.isFinished()) { // the monitor may have dropped it meanwhile
        entries.add(e);
      }
    }
    return entries.isEmpty() ? null : entries;
  }

  /**
   * Takes due entries of unpinned groups, in due order, up to {@code maxCount} entries and
   * {@code maxWeight}, dropping expired ones on the way.
   */
  List<Entry<T>> takeDue(long now, int maxCount, long maxWeight, long deliveryTimeoutNanos,
      Settlement<T> s) {
    List<Entry<T>> batch = new ArrayList<>();
    long weight = 0;
    Group<T> g;
    groups:
    while ((g = heap.peek()) != null && !g.pinned && g.notBefore - now <= 0) {
      while (g.next < g.entries.size()) {
        if (batch.size() == maxCount) {
          break groups;
        }
        Entry<T> e = g.entries.get(g.next);
        if (now - e.acceptedAt >= deliveryTimeoutNanos) {
          s.drop(e, DropReason.DELIVERY_TIMEOUT);
        }
        if (e.isFinished()) {
          g.next++;
          continue;
        }
        if (e.weight() > maxWeight - weight) {
          break groups;
        }
        batch.add(e);
        weight += e.weight();
        g.next++;
      }
      heap.poll();
    }
    return batch;
  }

  /**
   * Drops every entry past its delivery timeout (the former drops expired retries as it takes
   * them; the monitor scans the whole heap for when no former comes by).
   *
   * @return the earliest delivery deadline among the entries left, or MAX_VALUE
   */
  long expire(long now, long deliveryTimeoutNanos, Settlement<T> s) {
    long next = Long.MAX_VALUE;
    for (Group<T> g : heap) {
      for (int i = g.next; i < g.entries.size(); i++) {
        Entry<T> e = g.entries.get(i);
        if (e.isFinished()) {
          continue;
        }
        if (now - e.acceptedAt >= deliveryTimeoutNanos) {
          s.drop(e, DropReason.DELIVERY_TIMEOUT);
        } else {
          next = Math.min(next, e.acceptedAt + deliveryTimeoutNanos);
        }
      }
    }
    return next;
  }

  /** Drops everything waiting, heap and inbox. */
  void dropAll(Settlement<T> s) {
    pull();
    for (Group<T> g; (g = heap.poll()) != null; ) {
      for (int i = g.next; i < g.entries.size(); i++) {
        s.drop(g.entries.get(i), DropReason.CLOSE_TIMEOUT);
      }
    }
  }
}
