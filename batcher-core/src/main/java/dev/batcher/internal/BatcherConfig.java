package dev.batcher.internal;

import dev.batcher.AsyncBatchSink;
import dev.batcher.BatchSink;
import dev.batcher.BatcherListener;
import dev.batcher.DeadLetterHandler;
import dev.batcher.RetryPolicy;
import dev.batcher.OverflowPolicy;
import dev.batcher.TimeSource;
import java.util.concurrent.ThreadFactory;
import java.util.function.BinaryOperator;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;

/**
 * The validated settings of one batcher, produced by {@link dev.batcher.BatcherBuilder}. Exactly
 * one of {@code sink} and {@code asyncSink} is set. Weights are {@link Long#MAX_VALUE} when
 * unbounded; durations are in nanoseconds. {@code maxDelayNanos} is the builder's {@code maxDelay}
 * and {@code jitter} its {@code maxDelayJitter} (the fraction of {@code maxDelay} a batch may wait
 * longer); the retry backoff's jitter is part of {@code retryPolicy}.
 *
 * <p>Internal: not API, may change in any release.
 */
public record BatcherConfig<T>(
    @Nullable BatchSink<T> sink,
    @Nullable AsyncBatchSink<T> asyncSink,
    String name,
    int maxBatchSize,
    long maxBatchWeight,
    long queueCapacityWeight,
    @Nullable ToLongFunction<? super T> weigher,
    long maxDelayNanos,
    double maxDelayJitter,
    int queueCapacity,
    OverflowPolicy overflow,
    long blockTimeoutNanos,
    int maxInFlightBatches,
    long deliveryTimeoutNanos,
    @Nullable Function<? super T, ?> coalesceKey,
    @Nullable BinaryOperator<T> coalesceMerge,
    BatcherListener<T> listener,
    ThreadFactory threadFactory,
    TimeSource timeSource,
    RetryPolicy retryPolicy,
    @Nullable DeadLetterHandler<T> deadLetterHandler,
    @Nullable Function<? super T, ?> idFunction,
    boolean atomicSink) {}
