package dev.batcher;

import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Run by {@link UnclosedBatcherTest} in a JVM of its own: leaves one batcher open with three items
 * pending (its sink never returns), one open and idle, and one closed, then returns from main, so
 * that the JVM exits with only the batchers' daemon threads left and runs the shutdown hooks.
 */
public final class LeftOpenAtExit {
  /** Reachable until the JVM exits, so that no garbage collection reports them first. */
  static final List<Batcher<Integer>> KEPT = new java.util.ArrayList<>();

  private LeftOpenAtExit() {}

  public static void main(String[] args) {
    CountDownLatch never = new CountDownLatch(1);
    Batcher<Integer> leftOpen = Batcher.builder((List<Integer> batch) -> {
      never.await();
      return BatchResult.success();
    }).name("left-open").build();
    for (int i = 0; i < 3; i++) {
      leftOpen.submit(i);
    }
    KEPT.add(leftOpen);
    KEPT.add(Batcher.builder((List<Integer> batch) -> BatchResult.success()).name("idle-open")
        .build());
    Batcher<Integer> closed =
        Batcher.builder((List<Integer> batch) -> BatchResult.success()).name("closed").build();
    closed.submit(1);
    closed.close();
    KEPT.add(closed);
  }
}
