/**
 * The batcher API: build a {@link dev.batcher.Batcher} around a {@link dev.batcher.BatchSink},
 * {@link dev.batcher.Batcher#submit submit} items from any number of threads, and the batcher
 * writes them in bounded batches on its own worker threads.
 *
 * <p>Every type here is null-marked: parameters and return values are non-null unless annotated
 * {@code @Nullable}. Configuration errors are reported at {@link dev.batcher.BatcherBuilder#build()},
 * bad items at submit time, and every accepted item's future completes exactly once.
 */
@NullMarked
package dev.batcher;

import org.jspecify.annotations.NullMarked;
