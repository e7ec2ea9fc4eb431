package dev.batcher.benchmarks.contenders;

import dev.batcher.BatchResult;
import dev.batcher.Batcher;
import dev.batcher.OverflowPolicy;
import dev.batcher.RejectedItemException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Ours: a {@link Batcher} with a sink that does nothing, {@link OverflowPolicy#BLOCK} (so nothing is
 * refused while the producers keep up with their window), and the given batch size and delay; a
 * delay of zero is natural batching.
 */
public final class BatcherContender implements Contender {
  private final Batcher<Long> batcher;

  public BatcherContender(int batchSize, Duration maxDelay, int capacity) {
    this.batcher = Batcher.builder((List<Long> batch) -> {
      NoOpSink.write(batch);
      return BatchResult.success();
    })
        .name("bench")
        .maxBatchSize(batchSize)
        .maxDelay(maxDelay)
        .queueCapacity(capacity)
        .overflow(OverflowPolicy.BLOCK)
        .build();
  }

  @Override
  public Object submit(Long item) {
    return batcher.submit(item);
  }

  @Override
  public int await(Object handle) {
    return Contender.awaitFuture((CompletableFuture<?>) handle, RejectedItemException.class);
  }

  @Override
  public void close() {
    batcher.close(Duration.ofSeconds(10));
  }
}
