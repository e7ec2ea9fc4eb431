package dev.batcher;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Accepts items from any number of threads, holds them in a bounded queue, and hands them to a
 * {@link BatchSink} in batches: when a batch is full, when its oldest item has waited {@code
 * maxDelay}, or at once when the sink is free and {@code maxDelay} is zero.
 *
 * <pre>{@code
 * try (Batcher<Like> likes = Batcher.builder(likeSink)
 *     .name("likes")
 *     .maxBatchSize(500)
 *     .maxDelay(Duration.ofMillis(5))
 *     .build()) {
 *   likes.submit(new Like(postId, userId));   // fast: enqueues and returns a future
 * }                                           // close() writes everything accepted
 * }</pre>
 *
 * <h2>Promises</h2>
 * <ul>
 *   <li>Thread-safe: every method may be called from any thread, including virtual threads, which
 *       a producer waiting for room does not pin.
 *   <li>Bounded: at most {@code queueCapacity} items (and {@code queueCapacityWeight} weight) are
 *       accepted and unfinished at once; the {@link OverflowPolicy} says what happens beyond.
 *   <li>Exactly once: the future of every accepted item completes exactly once, normally when the
 *       sink wrote it, exceptionally with a {@link BatcherException} that says why not, and always
 *       within {@code deliveryTimeout}.
 *   <li>Ordered: with {@code maxInFlightBatches} 1 (the default), items reach the sink in the order
 *       they were accepted, across and within batches, with two exceptions: an item that is
 *       retried loses its place (it goes out after its backoff, beside newer items), and a sink
 *       call abandoned after {@code deliveryTimeout} may still be running beside newer ones.
 *   <li>Nulls: null items are refused with a {@link NullPointerException}.
 * </ul>
 *
 * <p>Cancelling a returned future does not withdraw its item.
 *
 * @param <T> the item type
 */
public interface Batcher<T> extends AutoCloseable {

  /**
   * {@return a builder for a batcher that writes to the blocking {@code sink}}
   *
   * @param <T> the item type
   * @param sink where the batches go
   * @throws NullPointerException if {@code sink} is null
   */
  static <T> BatcherBuilder<T> builder(BatchSink<T> sink) {
    return BatcherBuilder.forSink(sink);
  }

  /**
   * {@return a builder for a batcher that writes to the non-blocking {@code sink}}
   *
   * @param <T> the item type
   * @param sink where the batches go
   * @throws NullPointerException if {@code sink} is null
   */
  static <T> BatcherBuilder<T> asyncBuilder(AsyncBatchSink<T> sink) {
    return BatcherBuilder.forAsyncSink(sink);
  }

  /**
   * {@return a started batcher writing to {@code sink} with every option at its default}
   *
   * @param <T> the item type
   * @param sink where the batches go
   * @throws NullPointerException if {@code sink} is null
   */
  static <T> Batcher<T> create(BatchSink<T> sink) {
    return builder(sink).build();
  }

  /**
   * Accepts {@code item} for writing, applying the {@link OverflowPolicy} when the queue is full.
   *
   * <p>The returned future completes normally once the sink wrote the item, or exceptionally with
   * a {@link RejectedItemException} (refused now, and counted: queue full, closed, heavier than
   * {@code maxBatchWeight}, or the weigher or a coalesce function failed; see {@link
   * RefusalReason}), a {@link
   * DroppedItemException} (accepted, then evicted or timed out) or an {@link ItemWriteException}
   * (the sink failed it). A refusal is always a failed future, never an exception thrown here:
   * whatever the weigher or a coalesce function throws (a checked exception thrown sneakily or an
   * {@link Error} included) refuses the item, except a {@link VirtualMachineError}, which is
   * rethrown. Refusals are also logged, at most once per reason every ten seconds (see {@link #close()}).
   * Under {@link OverflowPolicy#BLOCK} this call may wait for room.
   *
   * @param item the item to write
   * @return a future that completes when the item was written, or fails with the reason it was not
   * @throws NullPointerException if {@code item} is null
   */
  CompletableFuture<Void> submit(T item);

  /**
   * Accepts {@code item} if there is room now, without blocking and without a future: the
   * fire-and-forget path for items whose outcome is watched through the {@link BatcherListener}
   * and {@link #metrics()}. Under {@link OverflowPolicy#DROP_OLDEST} it evicts as {@code submit}
   * does; under the other policies a full queue refuses the item.
   *
   * @param item the item to write
   * @return true if the item was accepted, false if it was refused (and counted), for any of the
   *     reasons {@link #submit} refuses it
   * @throws NullPointerException if {@code item} is null
   */
  boolean offer(T item);

  /**
   * Sends everything waiting at once, without waiting out {@code maxDelay}, and returns a future
   * that completes once every item accepted before this call has finished (written, dropped or
   * failed). It never completes exceptionally because of item failures; those are reported
   * through each item's own future.
   *
   * @return a future that completes once every item accepted before this call has finished
   */
  CompletableFuture<Void> flush();

  /**
   * Stops accepting items, writes everything accepted, and waits for it without a time limit;
   * then stops the worker threads. Idempotent: later calls return once the first has finished.
   * Items submitted after (or racing with) close are refused with {@link RefusalReason#CLOSED}.
   *
   * <p>A sink call that hangs is abandoned after {@code deliveryTimeout}, so this returns within
   * about {@code deliveryTimeout} of the last accepted item's acceptance even then.
   *
   * <p>Called on one of the batcher's own threads (from a future's callback or a listener), or
   * from a callback that an async sink's thread runs as it completes the sink's stage, it starts
   * closing and returns at once, since waiting there would wait for itself.
   *
   * <p>If the calling thread is interrupted while it waits, closing gives up as a timed-out {@link
   * #close(Duration)} does (the way {@code ExecutorService.close()} stops its tasks when
   * interrupted): whatever has not finished is dropped with {@link DropReason#CLOSE_TIMEOUT}, and
   * the thread's interrupt status is kept.
   *
   * <p>Close every batcher you build. One that becomes unreachable without being closed is closed
   * when the garbage collector finds it (its pending items are still written and its threads
   * end), with a WARN line naming it and how many items were pending, if any. One still open when
   * the JVM exits, with items pending, gets a WARN line too (from one shutdown hook shared by all
   * batchers): its threads are daemons by default, so those items are lost. A batcher stays
   * reachable, and is never collected, while its sink, listener or thread factory references it.
   *
   * <p>Logging: the batcher writes through SLF4J to the logger {@code
   * dev.batcher.internal.DefaultBatcher}, naming itself in every line. Accepting an item never
   * logs; refused and dropped items are reported at WARN, at most one line per reason every ten
   * seconds of its {@link TimeSource}, with how many were lost since the previous line; failures
   * are logged as {@code docs/failures.md} ("What is logged") lists.
   */
  @Override
  void close();

  /**
   * Like {@link #close()}, but waits at most {@code timeout}. Whatever has not finished by then
   * fails with {@link DropReason#CLOSE_TIMEOUT} (items in a sink call that is still running may
   * nevertheless be written), and the worker threads still inside the sink are interrupted.
   *
   * <p>If the calling thread is interrupted while it waits, it gives up at once, as when the time
   * runs out, and keeps the thread's interrupt status.
   *
   * <p>Having given up, it returns once every future has completed, with an exact answer: items a
   * worker was just taking to the sink, or whose failed call it was just settling, are dropped and
   * counted before it returns. That takes microseconds; only a callback that blocks a batcher
   * thread (a future's dependent, a listener) for more than 10 seconds leaves the answer unknown,
   * and then it returns false.
   *
   * <p>Called on one of the batcher's own threads (from a future's callback or a listener), or
   * from a callback that an async sink's thread runs as it completes the sink's stage, it starts
   * closing and returns at once, as {@link #close()} does, without waiting and without
   * dropping anything: items still pending go on to be written, and it returns true unless an
   * earlier close that gave up dropped items.
   *
   * @param timeout the longest wait; zero gives up at once on whatever has not finished
   * @return true if every accepted item finished (written, failed or dropped for its own reasons)
   *     without this close dropping any; false if this close, or an earlier one that gave up,
   *     dropped items, or if a callback blocked a batcher thread for more than 10 seconds so that
   *     it could not tell
   * @throws IllegalArgumentException if {@code timeout} is negative
   */
  boolean close(Duration timeout);

  /** {@return a snapshot of the counters and gauges} Cheap enough to poll every second. */
  BatcherMetrics metrics();

  /** {@return the batcher's name, as used in thread names, logs and exception messages} */
  String name();
}
