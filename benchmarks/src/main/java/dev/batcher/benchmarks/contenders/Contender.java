package dev.batcher.benchmarks.contenders;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One batching library behind the same two calls, so every suite drives every library in the same
 * shape: {@link #submit} hands over one item and returns the library's own per-item handle, and
 * {@link #await} waits for that handle and says how the item ended.
 *
 * <p>A benchmark fork builds exactly one contender, so these calls stay monomorphic in the JIT.
 * Running with {@code -f 0} loads several and makes the numbers worse for everybody.
 */
public interface Contender extends AutoCloseable {

  /** The sink wrote the item. */
  int DELIVERED = 0;
  /** The library refused the item when it was submitted (full, closed). */
  int REFUSED = 1;
  /** The library accepted the item, then failed or dropped it and said so. */
  int FAILED = 2;
  /**
   * The item's completion never came within {@link #LOST_AFTER_NANOS}: a library that drops
   * silently (OpenTelemetry's processor drops on a full queue without telling the caller).
   */
  int LOST = 3;

  /** How long {@link #await} waits before counting an item as lost. */
  long LOST_AFTER_NANOS = TimeUnit.SECONDS.toNanos(10);

  /**
   * Hands {@code item} to the library; may block where the library applies backpressure.
   *
   * @return the library's per-item handle, for {@link #await}
   */
  Object submit(Long item);

  /** Waits for the handle returned by {@link #submit}; returns one of the outcome constants. */
  int await(Object handle);

  /** Stops the library's threads; items still pending may be abandoned. */
  @Override
  void close();

  /** The shared {@link #await} for libraries whose handle is a {@link CompletableFuture}. */
  static int awaitFuture(CompletableFuture<?> future, Class<? extends Throwable> refusal) {
    try {
      future.get(LOST_AFTER_NANOS, TimeUnit.NANOSECONDS);
      return DELIVERED;
    } catch (ExecutionException e) {
      return refusal.isInstance(e.getCause()) ? REFUSED : FAILED;
    } catch (TimeoutException e) {
      return LOST;
    } catch (CancellationException e) {
      return FAILED;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return LOST;
    }
  }
}
