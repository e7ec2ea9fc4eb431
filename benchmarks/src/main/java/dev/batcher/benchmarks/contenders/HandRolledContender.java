package dev.batcher.benchmarks.contenders;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * What most teams write by hand: an {@link ArrayBlockingQueue}, one worker thread that
 * {@code take()}s the first item and {@code drainTo}s the rest of a batch, and a
 * {@link CompletableFuture} per item. With a positive delay the worker lingers with
 * {@code poll(timeout)} until the batch is full or the first item has waited that long. Producers
 * block in {@code put()} when the queue is full.
 */
public final class HandRolledContender implements Contender {
  private static final Pending STOP = new Pending(0L);

  private final ArrayBlockingQueue<Pending> queue;
  private final int batchSize;
  private final long delayNanos;
  private final Thread worker;

  public HandRolledContender(int batchSize, Duration delay, int capacity) {
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.batchSize = batchSize;
    this.delayNanos = delay.toNanos();
    this.worker = new Thread(this::run, "hand-rolled-worker");
    worker.setDaemon(true);
    worker.start();
  }

  @Override
  public Object submit(Long item) {
    Pending p = new Pending(item);
    try {
      queue.put(p);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.completeExceptionally(e);
    }
    return p;
  }

  @Override
  public int await(Object handle) {
    return Contender.awaitFuture((CompletableFuture<?>) handle, InterruptedException.class);
  }

  private void run() {
    List<Pending> batch = new ArrayList<>(batchSize);
    try {
      while (true) {
        Pending first = queue.take();
        if (first == STOP) {
          return;
        }
        batch.add(first);
        queue.drainTo(batch, batchSize - 1);
        if (delayNanos > 0) {
          long deadline = System.nanoTime() + delayNanos;
          while (batch.size() < batchSize) {
            long left = deadline - System.nanoTime();
            Pending next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : null;
            if (next == null) {
              break;
            }
            batch.add(next);
            queue.drainTo(batch, batchSize - batch.size());
          }
        }
        boolean stop = batch.remove(STOP);
        List<Long> items = new ArrayList<>(batch.size());
        for (Pending p : batch) {
          items.add(p.item);
        }
        NoOpSink.write(items);
        for (Pending p : batch) {
          p.complete(null);
        }
        batch.clear();
        if (stop) {
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    try {
      queue.put(STOP);
      worker.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
