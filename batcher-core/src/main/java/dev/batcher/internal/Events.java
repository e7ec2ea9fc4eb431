package dev.batcher.internal;

import dev.batcher.BatchEvent;
import dev.batcher.BatcherListener;
import dev.batcher.ItemLatencies;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls into the user's {@link BatcherListener}, which must never break the batcher (a listener
 * that throws is logged, rate-limited), and the batcher's warnings: those that could repeat per
 * item or per batch, at most one per {@link RateLimitedLog#INTERVAL_NANOS interval}, and the
 * reports of lost items ({@link LossLog}). Every part logs through the one logger {@code
 * dev.batcher.internal.DefaultBatcher}, so a user configures one name.
 *
 * <p>Internal: not API, may change in any release.
 */
final class Events<T> {
  static final Logger LOG = LoggerFactory.getLogger(DefaultBatcher.class);

  final String name;
  final BatcherListener<T> listener;
  /** Warnings that could repeat per item or per batch: at most one per interval. */
  final RateLimitedLog warnings;
  /** Refused and dropped items: at most one line per reason per interval. */
  final LossLog losses;
  /** True unless the listener keeps BatcherListener's empty onBatch: then no event is built. */
  final boolean wantsBatches;
  /** True unless the listener keeps the empty onItemsCompleted: then no latency view is made. */
  final boolean wantsLatencies;

  Events(BatcherConfig<T> config, Counters counters) {
    this.name = config.name();
    this.listener = config.listener();
    this.warnings = new RateLimitedLog(LOG, config.timeSource());
    this.losses = new LossLog(LOG, config, counters);
    this.wantsBatches = overrides(listener, "onBatch", BatchEvent.class);
    this.wantsLatencies = overrides(listener, "onItemsCompleted", ItemLatencies.class);
  }

  /** Runs a listener call; a listener that throws is logged and otherwise ignored. */
  void notify(Runnable call) {
    try {
      call.run();
    } catch (Throwable e) {
      warnings.warn("batcher '{}': listener {} threw", name, Describe.of(listener), e);
    }
  }

  /** Whether {@code listener} overrides {@code method} of BatcherListener's empty defaults. */
  private static boolean overrides(Object listener, String method, Class<?>... parameters) {
    try {
      return listener.getClass().getMethod(method, parameters).getDeclaringClass()
          != BatcherListener.class;
    } catch (NoSuchMethodException | SecurityException e) {
      return true; // when in doubt, deliver
    }
  }
}
