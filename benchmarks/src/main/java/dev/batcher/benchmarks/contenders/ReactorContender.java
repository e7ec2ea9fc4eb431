package dev.batcher.benchmarks.contenders;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;
import reactor.core.Disposable;
import reactor.core.publisher.Sinks;
import reactor.util.concurrent.Queues;

/**
 * Project Reactor: a {@code Sinks.many().unicast()} sink fed by the producers, {@code
 * Flux.bufferTimeout(batchSize, delay)}, and a subscriber that writes each buffer and completes
 * each item's future: per-item completion as a Reactor team would add it.
 *
 * <p>A Reactor sink is serialized: a producer that finds another one emitting gets {@code
 * FAIL_NON_SERIALIZED} and retries until it gets through, yielding its thread between attempts:
 * what Reactor's {@code EmitFailureHandler.busyLooping(Duration)} does, minus its deadline, and
 * with {@code Thread.yield()} (and now and then a 1 µs sleep) instead of a pure spin. Two reasons: that handler's deadline is fixed
 * when the handler is created, so one shared instance stops retrying once it has passed (a fresh
 * one per emit costs an allocation per item); and on virtual threads a pure spin can take every
 * carrier while the producer that holds the sink is unmounted, which hung the suite. {@code bufferTimeout} calls the subscriber on the
 * thread that filled the buffer (or on the timer thread), so the sink runs on a producer thread.
 * The sink's queue is unbounded; the suites bound what is outstanding by their windows.
 *
 * <p>{@code bufferTimeout} with a zero timespan is not a natural-batching mode (it schedules a
 * timer for every buffer), so a requested delay of zero runs with {@link #MIN_DELAY}.
 */
public final class ReactorContender implements Contender {
  /** What stands in for a delay of zero. */
  public static final Duration MIN_DELAY = Duration.ofMillis(1);

  /**
   * Retries a concurrent emission, yielding, and sleeping a microsecond now and then so that the
   * producer holding the sink always gets a thread; gives up on anything else (overflow,
   * terminated).
   */
  private static final Sinks.EmitFailureHandler RETRY = (signal, result) -> {
    if (result == Sinks.EmitResult.FAIL_NON_SERIALIZED) {
      if ((ThreadLocalRandom.current().nextInt() & 63) == 0) {
        LockSupport.parkNanos(1_000);
      } else {
        Thread.yield();
      }
      return true;
    }
    return false;
  };

  private final Sinks.Many<Pending> sink;
  private final Disposable subscription;

  public ReactorContender(int batchSize, Duration delay, int capacity) {
    this.sink = Sinks.many().unicast().onBackpressureBuffer(
        Queues.<Pending>unboundedMultiproducer().get());
    this.subscription = sink.asFlux()
        .bufferTimeout(batchSize, delay.isZero() ? MIN_DELAY : delay)
        .subscribe(ReactorContender::write);
  }

  private static void write(List<Pending> batch) {
    List<Long> items = new ArrayList<>(batch.size());
    for (Pending p : batch) {
      items.add(p.item);
    }
    NoOpSink.write(items);
    for (Pending p : batch) {
      p.complete(null);
    }
  }

  @Override
  public Object submit(Long item) {
    Pending p = new Pending(item);
    try {
      sink.emitNext(p, RETRY);
    } catch (RuntimeException e) { // an overflow, or the sink has terminated
      p.completeExceptionally(new RefusedException(e));
    }
    return p;
  }

  @Override
  public int await(Object handle) {
    return Contender.awaitFuture((CompletableFuture<?>) handle, RefusedException.class);
  }

  @Override
  public void close() {
    sink.tryEmitComplete();
    subscription.dispose();
  }

  /** The sink refused an item. */
  static final class RefusedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RefusedException(Throwable cause) {
      super(cause);
    }
  }
}
