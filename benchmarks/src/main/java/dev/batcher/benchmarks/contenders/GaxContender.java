package dev.batcher.benchmarks.contenders;

import com.google.api.core.ApiFuture;
import com.google.api.core.ApiFutures;
import com.google.api.gax.batching.BatchEntry;
import com.google.api.gax.batching.BatcherImpl;
import com.google.api.gax.batching.BatchingDescriptor;
import com.google.api.gax.batching.BatchingRequestBuilder;
import com.google.api.gax.batching.BatchingSettings;
import com.google.api.gax.batching.FlowControlSettings;
import com.google.api.gax.batching.FlowController;
import com.google.api.gax.rpc.ApiCallContext;
import com.google.api.gax.rpc.UnaryCallable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * gax-java's {@link BatcherImpl}, the batcher inside Google's Cloud client libraries, with a trivial
 * {@link BatchingDescriptor} (the request is a list of the items, the response its size) and a
 * callable that answers at once. It is bounded like ours: flow control blocks producers beyond
 * {@code capacity} outstanding items.
 *
 * <p>gax has no zero delay: its delay is a {@code scheduleWithFixedDelay} period, which must be
 * positive. A requested delay of zero runs with {@link #MIN_DELAY}.
 */
public final class GaxContender implements Contender {
  /** What stands in for a delay of zero. */
  public static final Duration MIN_DELAY = Duration.ofMillis(1);

  private final ScheduledExecutorService executor;
  private final BatcherImpl<Long, Void, List<Long>, Integer> batcher;

  // The constructor a gax user without a generated client calls: deprecated in favour of one
  // that takes a tracer, which a peer-to-peer comparison does not need.
  @SuppressWarnings("deprecation")
  public GaxContender(int batchSize, Duration delay, int capacity) {
    this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "gax-batcher-timer");
      t.setDaemon(true);
      return t;
    });
    BatchingSettings settings = BatchingSettings.newBuilder()
        .setElementCountThreshold((long) batchSize)
        .setRequestByteThreshold(Long.MAX_VALUE / 4)
        .setDelayThresholdDuration(delay.isZero() ? MIN_DELAY : delay)
        .setFlowControlSettings(FlowControlSettings.newBuilder()
            .setMaxOutstandingElementCount((long) capacity)
            .setLimitExceededBehavior(FlowController.LimitExceededBehavior.Block)
            .build())
        .build();
    this.batcher = new BatcherImpl<>(new Descriptor(), new Callable(), new ArrayList<>(), settings,
        executor);
  }

  @Override
  public Object submit(Long item) {
    return batcher.add(item);
  }

  @Override
  public int await(Object handle) {
    try {
      ((ApiFuture<?>) handle).get(LOST_AFTER_NANOS, TimeUnit.NANOSECONDS);
      return DELIVERED;
    } catch (ExecutionException | CancellationException e) {
      return FAILED;
    } catch (TimeoutException e) {
      return LOST;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return LOST;
    }
  }

  @Override
  public void close() {
    try {
      batcher.close(Duration.ofSeconds(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (TimeoutException e) {
      // abandoned: the fork is ending anyway
    } finally {
      executor.shutdownNow();
    }
  }

  /** The request is the list of items; the response is how many there were. */
  private static final class Descriptor
      implements BatchingDescriptor<Long, Void, List<Long>, Integer> {
    @Override
    public BatchingRequestBuilder<Long, List<Long>> newRequestBuilder(List<Long> prototype) {
      List<Long> items = new ArrayList<>();
      return new BatchingRequestBuilder<>() {
        @Override
        public void add(Long element) {
          items.add(element);
        }

        @Override
        public List<Long> build() {
          return items;
        }
      };
    }

    @Override
    public void splitResponse(Integer response, List<BatchEntry<Long, Void>> entries) {
      for (BatchEntry<Long, Void> e : entries) {
        e.getResultFuture().set(null);
      }
    }

    @Override
    public void splitException(Throwable failure, List<BatchEntry<Long, Void>> entries) {
      for (BatchEntry<Long, Void> e : entries) {
        e.getResultFuture().setException(failure);
      }
    }

    @Override
    public long countBytes(Long element) {
      return Long.BYTES;
    }
  }

  /** The no-op destination: answers at once with the batch size. */
  private static final class Callable extends UnaryCallable<List<Long>, Integer> {
    @Override
    public ApiFuture<Integer> futureCall(List<Long> request, ApiCallContext context) {
      NoOpSink.write(request);
      return ApiFutures.immediateFuture(request.size());
    }
  }
}
