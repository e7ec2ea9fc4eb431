package dev.batcher;

import dev.batcher.testing.BatchSinkContractTest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A sink over an in-memory table, to hold the sink contract ({@link BatchSinkContractTest})
 * against, and to break it on purpose. An atomic one validates the whole batch before it stores
 * any of it; a per-item one stores what it can and answers with a per-item result. Poison is any
 * item starting with "poison"; an armed transient failure strikes the next call half-way through.
 */
final class InMemorySink implements BatchSink<String> {

  /** What the sink gets wrong, on purpose. */
  enum Flaw {
    NONE,
    /** Declares itself atomic, but stores the good items of a batch before throwing for poison. */
    PARTIAL_ATOMIC_WRITE,
    /** Answers per item, but throws for the whole batch when it holds poison. */
    THROWS_WHOLE_BATCH_FOR_POISON,
    /** Marks poison retryable: a constraint violation tried again and again. */
    POISON_RETRYABLE,
    /** Stores every item of a call with a transient failure, yet marks half of them retryable. */
    STORES_ITEMS_IT_MARKS_FAILED,
    /** Reports a transient failure as permanent, so it is never retried. */
    TRANSIENT_AS_PERMANENT,
    /** Silently skips the last item of each batch and still answers success for it. */
    LOSES_AN_ITEM
  }

  private final boolean atomic;
  private final Flaw flaw;
  private final List<String> table = new ArrayList<>();
  private final AtomicBoolean transientArmed = new AtomicBoolean();

  InMemorySink(boolean atomic, Flaw flaw) {
    this.atomic = atomic;
    this.flaw = flaw;
  }

  /** The next call fails transiently, half-way through its batch. */
  void armTransientFailure() {
    transientArmed.set(true);
  }

  /** Returns a copy of the table: every stored item, once per time it was stored. */
  synchronized List<String> rows() {
    return new ArrayList<>(table);
  }

  @Override
  public synchronized BatchResult write(List<String> batch) throws Exception {
    return atomic ? writeAllOrNothing(batch) : writePerItem(batch);
  }

  @Override
  public boolean isAtomic() {
    return atomic;
  }

  private BatchResult writeAllOrNothing(List<String> batch) throws Exception {
    List<String> staged = new ArrayList<>();
    boolean failMidway = transientArmed.getAndSet(false);
    for (int i = 0; i < batch.size(); i++) {
      String item = batch.get(i);
      if (failMidway && i == batch.size() / 2) {
        throw transientFailure(); // the transaction rolls back: nothing staged is stored
      }
      if (isPoison(item)) {
        if (flaw == Flaw.PARTIAL_ATOMIC_WRITE) {
          table.addAll(staged);
        }
        throw new IllegalArgumentException("constraint violated by " + item);
      }
      staged.add(item);
    }
    table.addAll(staged);
    return BatchResult.success();
  }

  private BatchResult writePerItem(List<String> batch) throws Exception {
    if (flaw == Flaw.THROWS_WHOLE_BATCH_FOR_POISON && batch.stream().anyMatch(this::isPoison)) {
      throw new IllegalArgumentException("constraint violated in " + batch);
    }
    boolean failMidway = transientArmed.getAndSet(false);
    BatchResult.Builder result = BatchResult.builder(batch.size());
    int end = flaw == Flaw.LOSES_AN_ITEM ? batch.size() - 1 : batch.size();
    for (int i = 0; i < end; i++) {
      String item = batch.get(i);
      if (isPoison(item)) {
        IllegalArgumentException violation =
            new IllegalArgumentException("constraint violated by " + item);
        if (flaw == Flaw.POISON_RETRYABLE) {
          result.failedRetryably(i, violation);
        } else {
          result.failedPermanently(i, violation);
        }
      } else if (failMidway && i >= batch.size() / 2) {
        if (flaw == Flaw.STORES_ITEMS_IT_MARKS_FAILED) {
          table.add(item);
        }
        if (flaw == Flaw.TRANSIENT_AS_PERMANENT) {
          result.failedPermanently(i, transientFailure());
        } else {
          result.failedRetryably(i, transientFailure());
        }
      } else {
        table.add(item);
      }
    }
    return result.build();
  }

  private boolean isPoison(String item) {
    return item.startsWith("poison");
  }

  private static IOException transientFailure() {
    return new IOException("connection reset (transient)");
  }

  /**
   * The contract over a fresh {@link InMemorySink} per test. Named so that surefire does not run
   * it on its own: {@link InMemorySinkContractTest} runs it, for sound sinks and for flawed ones.
   */
  static class Contract extends BatchSinkContractTest<String> {
    private final boolean atomic;
    private final Flaw flaw;
    private InMemorySink sink = new InMemorySink(false, Flaw.NONE);

    Contract(boolean atomic, Flaw flaw) {
      this.atomic = atomic;
      this.flaw = flaw;
    }

    @Override
    protected BatchSink<String> createSink() {
      sink = new InMemorySink(atomic, flaw);
      return sink;
    }

    @Override
    protected String goodItem(int i) {
      return "good-" + i;
    }

    @Override
    protected String poisonItem(int i) {
      return "poison-" + i;
    }

    @Override
    protected Collection<String> stored() {
      return sink.rows();
    }

    @Override
    protected boolean armTransientFailure() {
      sink.armTransientFailure();
      return true;
    }
  }
}
