package dev.batcher.micrometer;

import static org.awaitility.Awaitility.await;

import dev.batcher.BatchResult;
import dev.batcher.Batcher;
import dev.batcher.testing.ManualTimeSource;
import dev.batcher.testing.RecordingSink;
import java.time.Duration;

/** The success scenario that the meter tests and the Prometheus test both run. */
final class Scenarios {
  private Scenarios() {}

  /** A successful sink whose every call takes 2 ms on {@code clock}. */
  static RecordingSink<Integer> twoMillisecondSink(ManualTimeSource clock) {
    return new RecordingSink<>(batch -> {
      clock.advance(Duration.ofMillis(2));
      return BatchResult.success();
    }, Integer.MAX_VALUE);
  }

  /**
   * Writes ten items through a batcher of {@code maxBatchSize} 4 and a long {@code maxDelay} on
   * {@code clock} with a {@link #twoMillisecondSink}: two full batches, one after the other (their
   * items wait 2 ms each, the sink's time), then two items that wait 5 ms before a {@code flush}
   * and 2 ms in the sink. Latencies: 8 x 2 ms and 2 x 7 ms, 30 ms in all.
   */
  static void tenItems(Batcher<Integer> batcher, ManualTimeSource clock) {
    for (int i = 0; i < 4; i++) {
      batcher.submit(i);
    }
    await().until(() -> batcher.metrics().succeeded() == 4);
    for (int i = 4; i < 8; i++) {
      batcher.submit(i);
    }
    await().until(() -> batcher.metrics().succeeded() == 8);
    batcher.submit(8);
    batcher.submit(9);
    clock.advance(Duration.ofMillis(5));
    batcher.flush().join();
  }
}
