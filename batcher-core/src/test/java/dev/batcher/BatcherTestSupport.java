package dev.batcher;

import static org.awaitility.Awaitility.await;

import dev.batcher.testing.ManualTimeSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/**
 * What the engine's behaviour tests (triggers, bounds, overflow, ordering, flush and close)
 * share: a manual clock, and the batchers they open, closed after each test.
 */
abstract class BatcherTestSupport {
  /** A maxDelay no test waits out: only another trigger sends the batch. */
  static final Duration LONG = Duration.ofSeconds(60);

  final ManualTimeSource clock = new ManualTimeSource();
  private final List<Batcher<?>> open = new ArrayList<>();

  @AfterEach
  void closeAll() {
    open.forEach(b -> b.close(Duration.ofSeconds(5)));
  }

  /** Has {@code b} closed after the test, and returns it. */
  <T> Batcher<T> track(Batcher<T> b) {
    open.add(b);
    return b;
  }

  /** Waits until the batch former has gone back to waiting on the manual clock. */
  void awaitLingering(long parksBefore) {
    await().until(() -> clock.parks("-flush-") > parksBefore && clock.isParked("-flush-"));
  }
}
