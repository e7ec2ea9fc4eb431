package dev.batcher.testing;

import dev.batcher.BatchResult;
import dev.batcher.BatchSink;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.function.Function;

/**
 * A {@link BatchSink} that records every batch it is given and answers with a result the test
 * chooses; optionally gated, so that a test can hold calls in flight and release them when it
 * wants. Thread-safe: it may be called by several workers at once.
 *
 * @param <T> the item type
 */
public final class RecordingSink<T> implements BatchSink<T> {

  /**
   * Every batch the sink was given (a copy of each), in call order: a live, thread-safe,
   * read-only list.
   */
  public final List<List<T>> batches;

  private final List<List<T>> recorded = new CopyOnWriteArrayList<>();
  private final Function<List<T>, BatchResult> answer;
  private final Semaphore gate;

  /** Creates an open sink that answers {@link BatchResult#success()} to every call. */
  public RecordingSink() {
    this(batch -> BatchResult.success(), Integer.MAX_VALUE);
  }

  /**
   * Creates a sink that answers each call with {@code answer}, and lets {@code permits} calls
   * through before it holds the next ones at its gate (see {@link #openForever()}).
   *
   * @param answer the result of each call, from its batch
   * @param permits how many calls pass before the gate holds the next
   */
  public RecordingSink(Function<List<T>, BatchResult> answer, int permits) {
    this.answer = answer;
    this.gate = new Semaphore(permits);
    this.batches = Collections.unmodifiableList(recorded);
  }

  /**
   * Returns a successful sink whose gate is closed: every call waits for {@link #openForever()}.
   *
   * @param <T> the type of the items
   * @return a new gated sink
   */
  public static <T> RecordingSink<T> gated() {
    return new RecordingSink<>(batch -> BatchResult.success(), 0);
  }

  /** Opens the gate for good: the calls waiting at it, and all later ones, go through. */
  public void openForever() {
    gate.release(Integer.MAX_VALUE / 2);
  }

  /** Waits at the gate, records a copy of the batch, and returns the chosen answer. */
  @Override
  public BatchResult write(List<T> batch) throws Exception {
    gate.acquire();
    recorded.add(new ArrayList<>(batch));
    return answer.apply(batch);
  }

  /**
   * Returns every item recorded so far, in call order.
   *
   * @return the items, a copy
   */
  public List<T> allItems() {
    List<T> all = new ArrayList<>();
    recorded.forEach(all::addAll);
    return all;
  }

  /**
   * Returns the size of each batch recorded so far, in call order.
   *
   * @return the sizes, a copy
   */
  public List<Integer> sizes() {
    List<Integer> s = new ArrayList<>();
    recorded.forEach(b -> s.add(b.size()));
    return s;
  }
}
