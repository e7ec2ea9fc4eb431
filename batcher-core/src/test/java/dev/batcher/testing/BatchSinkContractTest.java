package dev.batcher.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.batcher.BatchResult;
import dev.batcher.BatchSink;
import dev.batcher.Batcher;
import dev.batcher.BatcherListener;
import dev.batcher.BatcherMetrics;
import dev.batcher.ItemWriteException;
import dev.batcher.RetryPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The promises every {@link BatchSink} keeps, as tests that each sink's own test inherits (the
 * way JCTools' {@code QueueSanityTest} holds every queue to one contract), so that the JDBC and
 * Redis sinks keep the same promises as the in-memory ones:
 * <ul>
 *   <li><b>per-item outcomes</b>: in a batch with a poison item, the good items are stored and
 *       succeed (through bisection, if the sink is atomic) and the poison fails with an {@link
 *       ItemWriteException}, and is not stored;
 *   <li><b>atomicity declared truthfully</b>: a call of an {@linkplain BatchSink#isAtomic() atomic}
 *       sink that throws stored nothing of its batch, and a call that returns stored exactly the
 *       items its result marks succeeded;
 *   <li><b>no item written twice</b> when a batch is retried after a transient failure;
 *   <li><b>errors classified</b>: the poison's failure is permanent (it is never retried), and a
 *       transient failure is retried and then succeeds.
 * </ul>
 *
 * <p>Every test runs the sink through a real {@link Batcher} of {@value #BATCH} items per batch
 * on a standing {@link ManualTimeSource}: a batch goes out when it is full, and retries (with the
 * zero backoff of {@link #retryPolicy()}) go out at once, so no test sleeps or waits for the
 * clock. Every sink call passes through a spy that reads the backend back ({@link #stored()}) after
 * each call, to check what the call claimed against what it did.
 *
 * <p>A subclass supplies the sink and its backend through the hooks: {@link #createSink()}, {@link
 * #goodItem(int)}, {@link #poisonItem(int)}, {@link #stored()}, and optionally {@link
 * #armTransientFailure()} and {@link #retryPolicy()}. Items must have a meaningful {@code equals}:
 * the tests compare what {@link #stored()} returns with the items they submitted. A sink module
 * depends on {@code dev.batcher:batcher-core} with {@code <type>test-jar</type>} (managed in the
 * parent POM) and extends it:
 *
 * <pre>{@code
 * class LikeInsertSinkTest extends BatchSinkContractTest<Like> {
 *   protected BatchSink<Like> createSink() { return new LikeInsertSink(dataSource, freshTable()); }
 *   protected Like goodItem(int i) { return new Like(42, i); }
 *   protected Like poisonItem(int i) { return new Like(-1, i); } // violates a CHECK constraint
 *   protected Collection<Like> stored() throws SQLException { return selectAll(table); }
 * }
 * }</pre>
 *
 * <p>{@code InMemorySinkContractTest} in batcher-core's tests holds two in-memory sinks to the
 * contract and shows that each promise, broken on purpose, fails its test.
 *
 * @param <T> the item type of the sink under test
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class BatchSinkContractTest<T> {

  /** Items per batch in every test: {@value}. */
  protected static final int BATCH = 8;

  /** Where the poison items sit in a batch of {@link #BATCH}: one in each half. */
  private static final List<Integer> POISON_AT = List.of(2, 5);

  private static final long WAIT_SECONDS = 30;

  private final ManualTimeSource clock = new ManualTimeSource();
  private final List<Call<T>> calls = new CopyOnWriteArrayList<>();
  private final List<T> retried = new CopyOnWriteArrayList<>();
  private @Nullable BatchSink<T> sink;
  private @Nullable Batcher<T> batcher;

  /** For subclasses. */
  protected BatchSinkContractTest() {}

  // ------------------------------------------------------------------------------------ hooks

  /**
   * Returns the sink under test, writing to a backend that holds none of this test's items
   * (a fresh table, a fresh key prefix). Called once before each test.
   *
   * @return the sink under test
   * @throws Exception if the sink or the backend fails
   */
  protected abstract BatchSink<T> createSink() throws Exception;

  /**
   * Returns the {@code i}-th good item: one the sink stores. Distinct {@code i} give items that are
   * not {@code equals} and that the backend stores separately (distinct keys).
   *
   * @param i which good item, from 0
   * @return the item
   */
  protected abstract T goodItem(int i);

  /**
   * Returns the {@code i}-th poison item: one the sink must fail permanently, and fail alone (a
   * constraint violation, malformed data), whatever else its batch holds. Distinct from every
   * good item.
   *
   * @param i which poison item, from 0
   * @return the item
   */
  protected abstract T poisonItem(int i);

  /**
   * Reads back what the backend stores of this test's items, one element per stored copy: an
   * item stored twice appears twice. Called between sink calls, never during one.
   *
   * @return the stored items of this test
   * @throws Exception if the sink or the backend fails
   */
  protected abstract Collection<T> stored() throws Exception;

  /**
   * Arms a transient failure for the next sink call only: the failure a backend has for a while
   * (a dropped connection, a deadlock, a lock timeout), struck part-way through the call, as the
   * real one would. The call must report it as retryable, by throwing a failure that {@link
   * #retryPolicy()} retries or with {@link BatchResult.Outcome#FAILED_RETRYABLE} items.
   *
   * @return true if armed; false if the sink cannot simulate one (the default), which skips the
   *     tests that need it
   * @throws Exception if the sink or the backend fails
   */
  protected boolean armTransientFailure() throws Exception {
    return false;
  }

  /**
   * Returns the retry policy the sink is meant to be used with. The default is the default
   * policy's classifier and attempts with zero backoff, so that retries go out at once; an
   * override should keep the backoff at zero.
   *
   * @return the retry policy of the batcher under test
   */
  protected RetryPolicy retryPolicy() {
    return RetryPolicy.builder().initialBackoff(Duration.ZERO).maxBackoff(Duration.ZERO)
        .backoffJitter(RetryPolicy.Jitter.NONE).build();
  }

  // -------------------------------------------------------------------------------- lifecycle

  /**
   * Creates the sink and the batcher around it.
   *
   * @throws Exception if the sink cannot be created
   */
  @BeforeEach
  public void startBatcher() throws Exception {
    BatchSink<T> created = createSink();
    sink = created;
    BatchSink<T> spy = new BatchSink<>() {
      @Override
      public BatchResult write(List<T> batch) throws Exception {
        return spyOn(created, batch);
      }

      @Override
      public boolean isAtomic() {
        return created.isAtomic();
      }
    };
    batcher = Batcher.builder(spy).name("contract-" + getClass().getSimpleName())
        .maxBatchSize(BATCH).maxDelay(Duration.ofHours(1)).maxDelayJitter(0)
        .deliveryTimeout(Duration.ofHours(2)).retryPolicy(retryPolicy()).timeSource(clock)
        .listener(new BatcherListener<T>() {
          @Override
          public void onRetry(T item, Throwable cause, int attemptsSoFar) {
            retried.add(item);
          }
        }).build();
  }

  /** Closes the batcher, so that no worker outlives the test. */
  @AfterEach
  public void closeBatcher() {
    if (batcher != null) {
      batcher.close(Duration.ofSeconds(WAIT_SECONDS));
    }
  }

  // ------------------------------------------------------------------------------------ tests

  /**
   * The baseline: a batch of good items is one call, and every item is stored once.
   *
   * @throws Exception if the sink or the backend fails
   */
  @Test
  public void goodBatch_everyItemStoredOnce() throws Exception {
    List<T> items = goodItems(0, BATCH);
    List<CompletableFuture<Void>> fs = submitAndWait(items);

    for (int i = 0; i < items.size(); i++) {
      assertThat(fs.get(i)).as("item %s", items.get(i)).isCompleted();
    }
    assertStoredOnce(items);
    assertThat(calls).as("sink calls").hasSize(1);
  }

  /**
   * Per-item outcomes: the good items of a batch holding poison succeed and are stored once; each
   * poison fails with an {@link ItemWriteException} and is not stored.
   *
   * @throws Exception if the sink or the backend fails
   */
  @Test
  public void batchWithPoison_goodItemsSucceed_poisonFailsAlone() throws Exception {
    List<T> items = batchWithPoison(0);
    List<CompletableFuture<Void>> fs = submitAndWait(items);

    List<T> good = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      if (POISON_AT.contains(i)) {
        assertThat(failureOf(fs.get(i))).as("the poison's failure")
            .isInstanceOf(ItemWriteException.class);
      } else {
        assertThat(fs.get(i)).as("good item %s", items.get(i)).isCompleted();
        good.add(items.get(i));
      }
    }
    assertStoredOnce(good);
    BatcherMetrics m = metrics();
    assertThat(m.succeeded()).as("succeeded").isEqualTo(good.size());
    assertThat(m.failed() + m.deadLettered()).as("failed").isEqualTo(POISON_AT.size());
  }

  /**
   * Errors classified: a poison is failed for good on its first attempt of its own, never retried
   * (retrying a constraint violation cannot help, and only delays the items behind it).
   *
   * @throws Exception if the sink or the backend fails
   */
  @Test
  public void poison_isFailedPermanently_neverRetried() throws Exception {
    List<T> items = batchWithPoison(0);
    List<CompletableFuture<Void>> fs = submitAndWait(items);

    for (int i : POISON_AT) {
      T poison = items.get(i);
      assertThat(failureOf(fs.get(i))).as("the failure of %s", poison)
          .isInstanceOf(ItemWriteException.class);
      assertThat(retried).as("items the batcher retried").doesNotContain(poison);
      long alone = calls.stream().filter(c -> c.batch.equals(List.of(poison))).count();
      assertThat(alone).as("calls with %s alone (after bisection, if any)", poison)
          .isLessThanOrEqualTo(1);
    }
    for (Call<T> call : calls) {
      if (call.thrown != null && containsPoison(call.batch, items)) {
        assertThat(retryPolicy().isRetryable(call.thrown))
            .as("%s thrown for a batch with poison is retryable by %s", call.thrown,
                retryPolicy())
            .isFalse();
      }
    }
  }

  /**
   * Atomicity declared truthfully: when a call of an {@linkplain BatchSink#isAtomic() atomic} sink
   * fails, nothing of its batch is stored (bisection re-sends its items; had some been stored,
   * they would be stored twice). A call fails when it throws, answers a {@linkplain
   * BatchResult#batchFailed batch failure}, or answers that no item succeeded (a sink that
   * pinpoints the poison fails it and marks the others not attempted, to be sent again). A sink
   * that is not atomic is never split: a batch it failed whole is sent again whole, and of a
   * batch it answered for item by item only the items it did not mark succeeded are sent again.
   *
   * @throws Exception if the sink or the backend fails
   */
  @Test
  public void failedCall_atomicStoresNothingOfItsBatch_otherwiseIsNeverSplit() throws Exception {
    submitAndWait(batchWithPoison(0));
    boolean armed = armTransientFailure();
    submitAndWait(goodItems(100, BATCH));

    if (!sink().isAtomic()) {
      for (int i = 0; i < calls.size(); i++) {
        Call<T> f = calls.get(i);
        for (Call<T> c : calls.subList(i + 1, calls.size())) {
          List<T> again = c.batch.stream().filter(f.batch::contains).toList();
          if (again.isEmpty()) {
            continue;
          }
          if (f.thrown != null || Objects.requireNonNull(f.result).batchFailure() != null) {
            assertThat(again).as("%s sent again after %s failed whole: a sink that is not"
                + " atomic is never split", again, f.batch).containsExactlyInAnyOrderElementsOf(
                f.batch);
            continue;
          }
          for (T item : again) {
            assertThat(f.result.outcome(f.batch.indexOf(item))).as("%s sent again after %s",
                item, f.result).isNotEqualTo(BatchResult.Outcome.SUCCEEDED);
          }
        }
      }
      return;
    }
    List<Call<T>> failed = calls.stream().filter(BatchSinkContractTest::failed).toList();
    assumeTrue(!failed.isEmpty(), "no call failed (for a batch with poison"
        + (armed ? ", or a transient failure)" : ")"));
    for (Call<T> call : failed) {
      assertThat(call.storedOfBatch).as("stored after the failed call %s (%s)", call.batch,
          call.thrown).isEmpty();
    }
  }

  /** Whether {@code call} threw, failed its batch, or succeeded with none of its items. */
  private static boolean failed(Call<?> call) {
    if (call.thrown != null) {
      return true;
    }
    BatchResult r = Objects.requireNonNull(call.result);
    if (r.isSuccess()) {
      return false; // success() has no per-item outcomes
    }
    if (r.batchFailure() != null) {
      return true;
    }
    for (int i = 0; i < r.size(); i++) {
      if (r.outcome(i) == BatchResult.Outcome.SUCCEEDED) {
        return false;
      }
    }
    return true;
  }

  /**
   * An answer tells the truth: after a call that returned, the items its result marks succeeded
   * ({@link BatchResult#success()} marks all) are stored once, and the items it marks failed or
   * not attempted are not stored; a {@linkplain BatchResult#batchFailed batch failure} stores
   * none.
   *
   * @throws Exception if the sink or the backend fails
   */
  @Test
  public void answeredCall_storedExactlyWhatItReported() throws Exception {
    submitAndWait(batchWithPoison(0));
    armTransientFailure();
    submitAndWait(goodItems(100, BATCH));

    List<Call<T>> answered = calls.stream().filter(c -> c.result != null).toList();
    assumeTrue(!answered.isEmpty(), "the sink never answered: it threw for every batch");
    for (Call<T> call : answered) {
      BatchResult result = Objects.requireNonNull(call.result);
      if (result.batchFailure() != null) { // a failure about no item: like a throw, stores none
        assertThat(call.storedOfBatch).as("stored after %s", result).isEmpty();
        continue;
      }
      for (int i = 0; i < call.batch.size(); i++) {
        T item = call.batch.get(i);
        long copies = Collections.frequency(call.storedOfBatch, item);
        if (result.outcome(i) == BatchResult.Outcome.SUCCEEDED) {
          assertThat(copies).as("copies of %s after %s marked it succeeded", item, result)
              .isEqualTo(1);
        } else {
          assertThat(copies).as("copies of %s after %s marked it %s", item, result,
              result.outcome(i)).isZero();
        }
      }
    }
  }

  /**
   * Errors classified: a transient failure is retried, and the batch then succeeds whole.
   *
   * @throws Exception if the sink or the backend fails
   */
  @Test
  public void transientFailure_isRetriedThenSucceeds() throws Exception {
    assumeTrue(armTransientFailure(), "the test cannot arm a transient failure for this sink");
    List<T> items = goodItems(0, BATCH);
    List<CompletableFuture<Void>> fs = submitAndWait(items);

    assertThat(retried).as("items retried after the transient failure").isNotEmpty();
    for (int i = 0; i < items.size(); i++) {
      assertThat(fs.get(i)).as("item %s", items.get(i)).isCompleted();
    }
    assertThat(metrics().succeeded()).isEqualTo(BATCH);
  }

  /**
   * No item written twice: a batch retried after a transient failure stores every item exactly
   * once, those the failed call may already have stored included.
   *
   * @throws Exception if the sink or the backend fails
   */
  @Test
  public void retryAfterTransientFailure_storesNoItemTwice() throws Exception {
    assumeTrue(armTransientFailure(), "the test cannot arm a transient failure for this sink");
    List<T> items = goodItems(0, BATCH);
    submitAndWait(items);

    assertThat(calls.size()).as("sink calls: the failed one and its retry").isGreaterThan(1);
    assertStoredOnce(items);
  }

  // ---------------------------------------------------------------------------------- helpers

  /** One sink call as the spy saw it. */
  private static final class Call<T> {
    final List<T> batch;
    final @Nullable BatchResult result;
    final @Nullable Throwable thrown;
    /** What the backend held of the batch's items right after the call. */
    final List<T> storedOfBatch;

    Call(List<T> batch, @Nullable BatchResult result, @Nullable Throwable thrown,
        List<T> storedOfBatch) {
      this.batch = batch;
      this.result = result;
      this.thrown = thrown;
      this.storedOfBatch = storedOfBatch;
    }
  }

  private BatchResult spyOn(BatchSink<T> target, List<T> batch) throws Exception {
    List<T> copy = List.copyOf(batch);
    BatchResult result = null;
    Throwable thrown = null;
    try {
      result = target.write(batch);
      return result;
    } catch (Exception | Error e) {
      thrown = e;
      throw e;
    } finally {
      List<T> storedOfBatch = new ArrayList<>();
      for (T item : stored()) {
        if (copy.contains(item)) {
          storedOfBatch.add(item);
        }
      }
      calls.add(new Call<>(copy, result, thrown, storedOfBatch));
    }
  }

  private BatchSink<T> sink() {
    if (sink == null) {
      throw new IllegalStateException("startBatcher() has not run");
    }
    return sink;
  }

  private BatcherMetrics metrics() {
    if (batcher == null) {
      throw new IllegalStateException("startBatcher() has not run");
    }
    return batcher.metrics();
  }

  private List<T> goodItems(int from, int count) {
    List<T> items = new ArrayList<>();
    for (int i = from; i < from + count; i++) {
      items.add(goodItem(i));
    }
    return items;
  }

  /** A batch of {@link #BATCH} items with a poison at each of {@link #POISON_AT}. */
  private List<T> batchWithPoison(int from) {
    List<T> items = new ArrayList<>();
    for (int i = 0; i < BATCH; i++) {
      items.add(POISON_AT.contains(i) ? poisonItem(from + i) : goodItem(from + i));
    }
    return items;
  }

  private boolean containsPoison(List<T> batch, List<T> items) {
    for (int i : POISON_AT) {
      if (batch.contains(items.get(i))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Submits the items (one batch of {@link #BATCH}, or the start of one that flush sends) and
   * waits until every one of them has ended, retries and bisection included.
   */
  private List<CompletableFuture<Void>> submitAndWait(List<T> items) throws Exception {
    if (batcher == null) {
      throw new IllegalStateException("startBatcher() has not run");
    }
    List<CompletableFuture<Void>> fs = new ArrayList<>();
    for (T item : items) {
      fs.add(batcher.submit(item));
    }
    batcher.flush().get(WAIT_SECONDS, TimeUnit.SECONDS);
    CompletableFuture.allOf(fs.toArray(new CompletableFuture<?>[0]))
        .handle((v, e) -> null).get(WAIT_SECONDS, TimeUnit.SECONDS);
    return fs;
  }

  private static Throwable failureOf(CompletableFuture<Void> f) throws InterruptedException {
    try {
      f.get();
    } catch (ExecutionException e) {
      return e.getCause();
    }
    throw new AssertionError("the future completed normally");
  }

  private void assertStoredOnce(List<T> items) throws Exception {
    Map<T, Long> copies = stored().stream()
        .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
    for (T item : items) {
      assertThat(copies.getOrDefault(item, 0L)).as("copies of %s stored", item).isEqualTo(1);
    }
    assertThat(copies.keySet()).as("stored items").containsExactlyInAnyOrderElementsOf(items);
  }
}
