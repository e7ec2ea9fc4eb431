/**
 * The implementation of the Redis sinks: error classification, per-item outcomes, counters.
 * Internal: not API, may change in any release.
 */
@NullMarked
package dev.batcher.redis.internal;

import org.jspecify.annotations.NullMarked;
