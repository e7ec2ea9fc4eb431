package dev.batcher.benchmarks.contenders;

import java.util.concurrent.CompletableFuture;

/**
 * An item and its completion in one object, as the batcher's own entry is: the peers that need a
 * per-item holder (Reactor, the hand-written queue) pay one allocation per item, like ours.
 */
final class Pending extends CompletableFuture<Void> {
  final Long item;

  Pending(Long item) {
    this.item = item;
  }
}
