package dev.batcher.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.BatchResult;
import dev.batcher.BatchSink;
import dev.batcher.Batcher;
import dev.batcher.RetryPolicy;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The samples of docs/tuning.md build what the page says they build. */
class TuningSamplesTest {
  record Like(long postId, long userId) {}

  @Test
  void failoverPolicy_backsOffHalfToAllOfEachCap_andTheBatcherAcceptsIt() {
    BatchSink<Like> sink = batch -> BatchResult.success();
    // tag::tuning-failover[]
    RetryPolicy failover = RetryPolicy.builder()
        .maxAttempts(6)
        .initialBackoff(Duration.ofSeconds(1))
        .maxBackoff(Duration.ofSeconds(16)) // caps of 1, 2, 4, 8 and 16 s: 31 s in all
        .backoffJitter(RetryPolicy.Jitter.PROPORTIONAL) // each shortened by at most half
        .build();
    Batcher<Like> likes = Batcher.builder(sink)
        .retryPolicy(failover)
        .deliveryTimeout(Duration.ofMinutes(5)) // above 6 attempts of 25 s and 31 s of backoffs
        .queueCapacity(200_000) // 40 s of arrivals at 5,000 likes/s
        .build();
    // end::tuning-failover[]
    try (likes) {
      long total = 0;
      for (int attempts = 1; attempts < failover.maxAttempts(); attempts++) {
        long cap = TimeUnit.SECONDS.toNanos(1L << (attempts - 1));
        long backoff = failover.backoffNanos(attempts);
        assertThat(backoff).isBetween(cap / 2, cap);
        total += backoff;
      }
      assertThat(total).isBetween(TimeUnit.MILLISECONDS.toNanos(15_500),
          TimeUnit.SECONDS.toNanos(31));
      assertThat(likes.submit(new Like(1, 2))).succeedsWithin(Duration.ofSeconds(10));
    }
  }
}
