package dev.batcher.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.jspecify.annotations.Nullable;

/**
 * The queue of waiting entries: many producers, and consumers that hold the batcher's consumer
 * lock. Two implementations: {@link #linked()} for the usual case, and {@link #multiConsumer()}
 * for {@code DROP_OLDEST}, where producers also take entries out.
 *
 * <p>Internal: not API, may change in any release.
 */
abstract class EntryQueue<T> {

  /** Links an entry at the tail. Any thread. */
  abstract void offer(Entry<T> e);

  /** The head, or null when empty (or when the head's producer has not finished linking it). */
  abstract @Nullable Entry<T> peek();

  /** Takes the head; see {@link #peek()}. */
  abstract @Nullable Entry<T> poll();

  /** Returns an intrusive queue that only consumers holding the consumer lock may poll. */
  static <T> EntryQueue<T> linked() {
    return new Linked<>();
  }

  /** Returns a queue that any thread may poll. */
  static <T> EntryQueue<T> multiConsumer() {
    return new MultiConsumer<>();
  }

  /**
   * Dmitry Vyukov's intrusive multi-producer single-consumer queue: the entry is the node. A
   * producer swaps itself in as the tail with one {@code getAndSet} (it never retries, unlike a
   * CAS loop under contention) and then links its predecessor to itself. No allocation besides
   * the entry.
   *
   * <p>NOTE: between the swap and the link, the new entry and everything linked after it are
   * invisible to the consumer; a producer preempted in that window delays them until it runs
   * again (and with them their delivery deadline, which no one can enforce on an item nobody can
   * see). The producer wakes the batch former only after linking, and the link is a volatile
   * store ordered before that check, so nothing is lost, only late.
   */
  private static final class Linked<T> extends EntryQueue<T> {
    private static final VarHandle TAIL;

    static {
      try {
        TAIL = MethodHandles.lookup().findVarHandle(Linked.class, "tail", Entry.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    /** The last entry linked in, or the stub: written by producers with getAndSet. */
    @SuppressWarnings("unused")
    private volatile Entry<T> tail;
    /** The entry before the head (the last one taken, or the stub): consumer-owned. */
    private Entry<T> beforeHead;

    Linked() {
      Entry<T> stub = Entry.stub();
      this.beforeHead = stub;
      this.tail = stub;
    }

    @Override
    void offer(Entry<T> e) {
      @SuppressWarnings("unchecked")
      Entry<T> previous = (Entry<T>) TAIL.getAndSet(this, e); // full fence
      previous.linkNext(e); // volatile: see Entry.linkNext for the wake-up handshake
    }

    @Override
    @Nullable Entry<T> peek() {
      return beforeHead.next();
    }

    @Override
    @Nullable Entry<T> poll() {
      Entry<T> before = beforeHead;
      Entry<T> head = before.next();
      if (head == null) {
        return null;
      }
      beforeHead = head;
      before.clearNext(); // a caller's future must not keep the rest of the queue reachable
      return head;
    }
  }

  /** {@link ConcurrentLinkedQueue}: lock-free for producers and consumers alike. */
  private static final class MultiConsumer<T> extends EntryQueue<T> {
    private final ConcurrentLinkedQueue<Entry<T>> queue = new ConcurrentLinkedQueue<>();

    @Override
    void offer(Entry<T> e) {
      queue.offer(e);
    }

    @Override
    @Nullable Entry<T> peek() {
      return queue.peek();
    }

    @Override
    @Nullable Entry<T> poll() {
      return queue.poll();
    }
  }
}
