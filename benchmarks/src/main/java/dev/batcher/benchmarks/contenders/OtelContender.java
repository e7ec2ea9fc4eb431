package dev.batcher.benchmarks.contenders;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.InstrumentationLibraryInfo;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * OpenTelemetry's real {@link BatchSpanProcessor} (the SDK's own class, not a re-creation), driven
 * through {@code onEnd} with a pre-built span and a no-op {@link SpanExporter}. The span is a
 * {@link CompletableFuture} that is its own {@link ReadableSpan} and {@link SpanData}, built with
 * one allocation like every other contender's per-item holder, so span creation does not dominate;
 * the exporter completes each span's future, which gives per-item completion.
 *
 * <p>The processor's pattern: a bounded MPSC queue (JCTools' {@code MpscArrayQueue}, shaded into
 * the SDK), a daemon worker that wakes when the queue holds a batch's worth or the schedule delay
 * passes, and <em>silent drops</em> when the queue is full: {@code onEnd} returns normally and the
 * span never reaches the exporter. The suites catch that as {@link Contender#LOST} items (an await
 * that times out), so a processor that drops cannot look fast for it; their windows keep the
 * outstanding items below the queue size, so nothing should be lost.
 *
 * <p>A schedule delay of zero makes the worker spin on a core whenever it is idle (it never
 * parks), which on two cores would starve the producers, so a requested delay of zero runs with
 * {@link #MIN_DELAY}.
 */
public final class OtelContender implements Contender {
  /** What stands in for a delay of zero. */
  public static final Duration MIN_DELAY = Duration.ofMillis(1);

  private static final SpanContext CONTEXT = SpanContext.create(
      "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", TraceFlags.getSampled(),
      TraceState.getDefault());

  private final BatchSpanProcessor processor;

  public OtelContender(int batchSize, Duration delay, int capacity) {
    this.processor = BatchSpanProcessor.builder(new CompletingExporter())
        .setMaxExportBatchSize(batchSize)
        .setMaxQueueSize(capacity)
        .setScheduleDelay(delay.isZero() ? MIN_DELAY : delay)
        .setExporterTimeout(Duration.ofSeconds(30))
        .build();
  }

  @Override
  public Object submit(Long item) {
    BenchSpan span = new BenchSpan(item);
    processor.onEnd(span);
    return span;
  }

  @Override
  public int await(Object handle) {
    return Contender.awaitFuture((CompletableFuture<?>) handle, IllegalStateException.class);
  }

  @Override
  public void close() {
    processor.shutdown().join(10, TimeUnit.SECONDS);
  }

  /** A no-op exporter that completes each span's future. */
  private static final class CompletingExporter implements SpanExporter {
    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
      List<Long> items = new ArrayList<>(spans.size());
      for (SpanData s : spans) {
        items.add(((BenchSpan) s).item);
      }
      NoOpSink.write(items);
      for (SpanData s : spans) {
        ((BenchSpan) s).complete(null);
      }
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }

  /** An ended, sampled span that is its own span data and its own completion. */
  @SuppressWarnings("deprecation") // InstrumentationLibraryInfo: still abstract in both interfaces
  private static final class BenchSpan extends CompletableFuture<Void>
      implements ReadableSpan, SpanData {
    final Long item;

    BenchSpan(Long item) {
      this.item = item;
    }

    @Override
    public SpanContext getSpanContext() {
      return CONTEXT;
    }

    @Override
    public SpanContext getParentSpanContext() {
      return SpanContext.getInvalid();
    }

    @Override
    public String getName() {
      return "item";
    }

    @Override
    public SpanData toSpanData() {
      return this;
    }

    @Override
    public InstrumentationLibraryInfo getInstrumentationLibraryInfo() {
      return InstrumentationLibraryInfo.empty();
    }

    @Override
    public InstrumentationScopeInfo getInstrumentationScopeInfo() {
      return InstrumentationScopeInfo.empty();
    }

    @Override
    public boolean hasEnded() {
      return true;
    }

    @Override
    public long getLatencyNanos() {
      return 0;
    }

    @Override
    public SpanKind getKind() {
      return SpanKind.INTERNAL;
    }

    @Override
    public <T> T getAttribute(AttributeKey<T> key) {
      return null;
    }

    @Override
    public Attributes getAttributes() {
      return Attributes.empty();
    }

    @Override
    public StatusData getStatus() {
      return StatusData.unset();
    }

    @Override
    public long getStartEpochNanos() {
      return 0;
    }

    @Override
    public List<EventData> getEvents() {
      return Collections.emptyList();
    }

    @Override
    public List<LinkData> getLinks() {
      return Collections.emptyList();
    }

    @Override
    public long getEndEpochNanos() {
      return 0;
    }

    @Override
    public int getTotalRecordedEvents() {
      return 0;
    }

    @Override
    public int getTotalRecordedLinks() {
      return 0;
    }

    @Override
    public int getTotalAttributeCount() {
      return 0;
    }

    @Override
    public Resource getResource() {
      return Resource.empty();
    }
  }
}
