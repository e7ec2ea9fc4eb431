package dev.batcher;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A {@link DeadLetterHandler} that keeps every dead letter in memory, for tests and tools.
 * Unbounded: do not use it where dead letters can pile up. Thread-safe.
 *
 * @param <T> the item type
 */
public final class InMemoryDeadLetters<T> implements DeadLetterHandler<T> {
  private final ConcurrentLinkedQueue<DeadLetter<T>> letters = new ConcurrentLinkedQueue<>();

  /** Creates an empty collection. */
  public InMemoryDeadLetters() {}

  @Override
  public void handle(DeadLetter<T> letter) {
    letters.add(letter);
  }

  /** {@return a copy of the dead letters received so far, in arrival order} */
  public List<DeadLetter<T>> letters() {
    return new ArrayList<>(letters);
  }

  /** {@return the items of the dead letters received so far, in arrival order} */
  public List<T> items() {
    List<T> items = new ArrayList<>();
    letters.forEach(l -> items.add(l.item()));
    return items;
  }

  /** {@return how many dead letters were received} */
  public int size() {
    return letters.size();
  }

  /** Forgets the dead letters received so far. */
  public void clear() {
    letters.clear();
  }
}
