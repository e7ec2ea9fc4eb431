package dev.batcher.redis.internal;

import dev.batcher.Batcher;
import dev.batcher.ItemWriteException;
import dev.batcher.redis.StreamCodec;
import dev.batcher.redis.StreamDeadLetter;
import dev.batcher.redis.StreamDeadLetterHandler;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.resps.StreamEntry;

/**
 * The stream worker's thread: reads entries of its consumer group, decodes them, submits their
 * items to the downstream batcher, and acknowledges each entry once its item is written or
 * dead-lettered. In each round it (1) acknowledges what finished, in one {@code XACK}; (2) when
 * due, claims entries idle longer than {@code minIdle} ({@code XAUTOCLAIM}); (3) reads: first its
 * own pending entries (from id 0, once, at start), then new ones ({@code >}).
 *
 * <p>Invariant: an entry is acknowledged only after its item's future completed normally, or its
 * item or the entry itself was dead-lettered (the handler returned). Anything else leaves it
 * pending in Redis, where a claim finds it again after {@code minIdle}: an entry is never lost by
 * the worker, only delivered again.
 *
 * <p>Backpressure: it reads at most {@link UnackedEntries#room()} entries, so no more than {@code
 * maxUnacked} are ever read and not yet acknowledged; when there is no room it waits for an item
 * to finish. While items are in flight it polls Redis without blocking and waits on their
 * completions instead, so that finished entries are acknowledged promptly; with nothing in flight
 * it blocks in {@code XREADGROUP} for up to {@code block}.
 *
 * <p>Single-threaded except for the completion callbacks, which only touch {@link
 * UnackedEntries}. Internal: not API, may change in any release.
 *
 * @param <T> the item type
 */
public final class WorkerLoop<T> implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerLoop.class);

  /**
   * The worker's settings, checked by its builder.
   *
   * @param <T> the item type
   * @param redis the consumer's commands
   * @param codec decodes entries
   * @param downstream where the items go
   * @param deadLetters receives the entries given up on
   * @param readCount the most entries one read or claim returns
   * @param blockMillis the longest wait in one read when nothing is in flight
   * @param maxUnacked the most entries read and not yet acknowledged
   * @param minIdleMillis how long an entry must be idle before it is claimed
   * @param claimIntervalNanos how often idle entries are claimed
   * @param maxDeliveries the most deliveries before an entry is dead-lettered
   */
  public record Settings<T>(StreamCommands redis, StreamCodec<T> codec, Batcher<T> downstream,
      StreamDeadLetterHandler deadLetters, int readCount, long blockMillis, int maxUnacked,
      long minIdleMillis, long claimIntervalNanos, long maxDeliveries) {}

  private final Settings<T> s;
  private final UnackedEntries unacked;
  private final LongAdder acked = new LongAdder();
  private final LongAdder deadLettered = new LongAdder();
  private volatile boolean running = true;
  private @Nullable StreamEntryID ownPendingCursor = StreamCommands.START; // null: all re-read
  private StreamEntryID claimCursor = StreamCommands.START;
  private long nextClaimNanos = System.nanoTime();

  /** A loop with settings {@code s}; run it on its own thread. */
  public WorkerLoop(Settings<T> s) {
    this.s = s;
    this.unacked = new UnackedEntries(s.maxUnacked());
  }

  /** Asks the loop to stop reading; it then drains the downstream batcher and acknowledges. */
  public void stop() {
    running = false;
  }

  /** {@return the entries acknowledged so far} */
  public long acked() {
    return acked.sum();
  }

  /** {@return the entries handed to the dead-letter handler so far} */
  public long deadLettered() {
    return deadLettered.sum();
  }

  /** {@return the entries read and not yet acknowledged nor given back} */
  public int unacked() {
    return unacked.size();
  }

  @Override
  public void run() {
    try {
      while (running) {
        try {
          round();
        } catch (JedisException e) {
          failedRound(e);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException | Error e) {
      LOG.error("stream worker on {} stopped by an unexpected failure; its entries stay pending",
          s.redis().stream(), e);
    } finally {
      drain();
    }
  }

  private void round() throws InterruptedException {
    long version = unacked.version();
    ackFinished();
    if (System.nanoTime() - nextClaimNanos >= 0) {
      claimIdle();
    }
    int room = unacked.room();
    if (room <= 0) { // full: wait for an item to finish
      unacked.awaitChange(version, TimeUnit.MILLISECONDS.toNanos(s.blockMillis()));
      return;
    }
    int count = Math.min(room, s.readCount());
    StreamEntryID own = ownPendingCursor;
    if (own != null) { // at start: this consumer's own pending entries, from a previous run
      List<StreamEntry> entries = s.redis().read(own, count, 0);
      if (entries.isEmpty()) {
        ownPendingCursor = null;
      } else {
        ownPendingCursor = entries.get(entries.size() - 1).getID();
        accept(entries, true);
      }
      return;
    }
    boolean idle = unacked.size() == 0;
    List<StreamEntry> entries = s.redis().read(StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY, count,
        idle ? s.blockMillis() : 0);
    if (!entries.isEmpty()) {
      accept(entries, false);
    } else if (!idle) {
      unacked.awaitChange(version, TimeUnit.MILLISECONDS.toNanos(s.blockMillis()));
    }
  }

  private void failedRound(JedisException e) throws InterruptedException {
    if (e instanceof JedisDataException && RedisErrors.code(e.getMessage()).equals("NOGROUP")) {
      LOG.warn("consumer group of stream {} is gone; creating it again", s.redis().stream());
      try {
        s.redis().createGroup();
        return;
      } catch (JedisException again) {
        e.addSuppressed(again);
      }
    }
    LOG.warn("stream worker on {}: Redis failed ({}); trying again in {} ms", s.redis().stream(),
        e.toString(), s.blockMillis());
    Thread.sleep(s.blockMillis()); // a pause before the next attempt, not a wait for an event
  }

  private void claimIdle() {
    nextClaimNanos = System.nanoTime() + s.claimIntervalNanos();
    int room = unacked.room();
    if (room <= 0) {
      return;
    }
    Map.Entry<StreamEntryID, List<StreamEntry>> claimed =
        s.redis().claimIdle(s.minIdleMillis(), claimCursor, Math.min(room, s.readCount()));
    claimCursor = claimed.getKey();
    if (!claimCursor.equals(StreamCommands.START)) {
      nextClaimNanos = System.nanoTime(); // more to scan: go on next round
    }
    List<StreamEntry> entries = claimed.getValue();
    if (entries != null && !entries.isEmpty()) {
      LOG.debug("claimed {} idle entries of stream {}", entries.size(), s.redis().stream());
      accept(entries, true);
    }
  }

  /** Submits each entry's item, or dead-letters the entry. */
  private void accept(List<StreamEntry> entries, boolean redelivered) {
    Map<StreamEntryID, Long> deliveries = redelivered
        ? s.redis().deliveries(entries.get(0).getID(), entries.get(entries.size() - 1).getID(),
            entries.size() + s.maxUnacked())
        : Map.of();
    for (StreamEntry entry : entries) {
      StreamEntryID id = entry.getID();
      if (!unacked.hold(id)) {
        continue; // claimed back while its item is still in flight here
      }
      long delivered = deliveries.getOrDefault(id, 1L);
      Map<String, String> fields = entry.getFields();
      if (fields == null || fields.isEmpty()) {
        deadLetter(id, Map.of(), delivered, new IllegalStateException(
            "the entry has no fields: it was deleted or trimmed from the stream while pending"));
        continue;
      }
      if (delivered > s.maxDeliveries()) {
        deadLetter(id, fields, delivered, new IllegalStateException("the entry was delivered "
            + delivered + " times, more than maxDeliveries (" + s.maxDeliveries() + ")"));
        continue;
      }
      T item;
      try {
        item = s.codec().decode(fields);
        if (item == null) {
          throw new NullPointerException("the codec decoded the entry as null");
        }
      } catch (Exception e) {
        deadLetter(id, fields, delivered, e);
        continue;
      }
      submit(id, item);
    }
  }

  private void submit(StreamEntryID id, T item) {
    CompletableFuture<Void> written;
    try {
      written = s.downstream().submit(item);
    } catch (RuntimeException e) {
      LOG.warn("the downstream batcher threw on submit; entry {} stays pending", id, e);
      unacked.release(id);
      return;
    }
    written.whenComplete((ok, failure) -> {
      if (failure == null || deadLetteredDownstream(failure)) {
        unacked.finish(id);
      } else {
        LOG.debug("item of entry {} failed ({}); it stays pending", id, failure.toString());
        unacked.release(id);
      }
    });
  }

  private static boolean deadLetteredDownstream(Throwable failure) {
    Throwable f = failure instanceof CompletionException && failure.getCause() != null
        ? failure.getCause() : failure;
    return f instanceof ItemWriteException w && w.deadLettered();
  }

  private void deadLetter(StreamEntryID id, Map<String, String> fields, long delivered,
      Throwable cause) {
    try {
      s.deadLetters().handle(
          new StreamDeadLetter(s.redis().stream(), id.toString(), fields, delivered, cause));
    } catch (Exception e) {
      LOG.warn("the dead-letter handler failed for entry {}; it stays pending", id, e);
      unacked.release(id);
      return;
    }
    deadLettered.increment();
    unacked.finish(id);
  }

  private void ackFinished() {
    List<StreamEntryID> ids = unacked.drainFinished();
    if (ids.isEmpty()) {
      return;
    }
    try {
      s.redis().ack(ids);
    } catch (JedisException e) {
      unacked.requeue(ids);
      throw e;
    }
    unacked.acked(ids);
    acked.add(ids.size());
  }

  /** After the last read: waits for the downstream batcher, then acknowledges what finished. */
  private void drain() {
    try {
      s.downstream().flush().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      LOG.warn("flushing the downstream batcher failed", e);
    }
    try {
      ackFinished();
    } catch (JedisException e) {
      LOG.warn("could not acknowledge {} finished entries of stream {} on close; they stay"
          + " pending and will be delivered again", unacked.drainFinished().size(),
          s.redis().stream(), e);
    }
  }
}
