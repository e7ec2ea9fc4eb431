/**
 * The engine behind {@link dev.batcher.Batcher}: the worker loop, the bounded queue, flush
 * scheduling, delivery-timeout monitoring and metrics recording.
 *
 * <p>Not API: nothing here is exported by the module, and any of it may change in any release.
 */
@NullMarked
package dev.batcher.internal;

import org.jspecify.annotations.NullMarked;
