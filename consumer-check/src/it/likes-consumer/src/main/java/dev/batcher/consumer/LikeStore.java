package dev.batcher.consumer;

import dev.batcher.Batcher;
import dev.batcher.jdbc.JdbcSink;
import dev.batcher.micrometer.BatcherMetricsBinder;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.JDBCType;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import javax.sql.DataSource;

/** Stores likes through a batcher and a JDBC sink, as the README's example does. */
public final class LikeStore implements AutoCloseable {

  /** One like of a post. */
  public record Like(long postId, long userId) {}

  private final JdbcSink<Like> sink;
  private final Batcher<Like> batcher;

  /** Starts a batcher writing into the {@code likes} table of {@code dataSource}. */
  public LikeStore(DataSource dataSource) {
    this.sink = JdbcSink.<Like>builder(dataSource)
        .table("likes")
        .column("post_id", JDBCType.BIGINT, Like::postId)
        .column("user_id", JDBCType.BIGINT, Like::userId)
        .build();
    this.batcher = Batcher.builder(sink)
        .name("likes")
        .maxBatchSize(100)
        .maxDelay(Duration.ofMillis(5))
        .build();
  }

  /** Accepts a like; the future completes once it is stored. */
  public CompletableFuture<Void> add(Like like) {
    return batcher.submit(like);
  }

  /** Publishes the batcher's metrics to {@code registry}. */
  public void bindMetrics(MeterRegistry registry) {
    BatcherMetricsBinder.of(batcher).bindTo(registry);
  }

  /** How many statements the sink has sent so far. */
  public long statements() {
    return sink.statements();
  }

  /** Stores every accepted like, then stops. */
  @Override
  public void close() {
    batcher.close();
  }
}
