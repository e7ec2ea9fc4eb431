package dev.batcher.redis.internal;

import dev.batcher.Batcher;
import dev.batcher.ItemWriteException;
import dev.batcher.redis.StreamCodec;
import dev.batcher.redis.StreamDeadLetterHandler;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
 * dead-lettered. In each round it (1) acknowledges what finished, in one {@code XACK}; (2) if the
 * downstream batcher refused items, offers them again and does nothing else; (3) when due, claims
 * entries idle longer than {@code minIdle} ({@code XAUTOCLAIM}); (4) reads: first its own pending
 * entries (from id 0, once, at start), then new ones ({@code >}).
 *
 * <p>Invariant: an entry is acknowledged only after its item's future completed normally, or its
 * item or the entry itself was dead-lettered (the handler returned). Anything else leaves it
 * pending in Redis, where a claim finds it again after {@code minIdle}: an entry is never lost by
 * the worker, only delivered again.
 *
 * <p>Backpressure: it reads at most {@link UnackedEntries#room()} entries, so no more than {@code
 * maxUnacked} are ever read and not yet acknowledged; when there is no room it waits for an item
 * to finish. An item the downstream batcher refuses for want of room is backpressure, not a failed
 * delivery: its entry stays held and is resubmitted (see {@link Refusals}); a closed downstream
 * batcher stops the worker, its entries left pending. While items are in flight it polls Redis
 * without blocking and waits on their completions instead; with nothing in flight it blocks in
 * {@code XREADGROUP} for up to {@code block}. A failed round pauses with an exponential backoff
 * ({@link OutageLog}); only a {@link VirtualMachineError} ends the thread.
 *
 * <p>Single-threaded except for the completion callbacks, which only touch {@link
 * UnackedEntries} and {@link Refusals}. Internal: not API, may change in any release.
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
  private final Refusals<T> refusals;
  private final OutageLog outage;
  private final LongAdder acked = new LongAdder();
  private final DeadLetters deadLetters;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean running = true;
  private volatile long drainTimeoutNanos = TimeUnit.SECONDS.toNanos(60);
  private volatile @Nullable Throwable failure;
  private @Nullable StreamEntryID ownPendingCursor = StreamCommands.START; // null: all re-read
  private StreamEntryID claimCursor = StreamCommands.START;
  private StreamEntryID lastAcked = StreamCommands.START;
  private long nextClaimNanos = System.nanoTime();

  /** A loop with settings {@code s}; run it on its own thread. */
  public WorkerLoop(Settings<T> s) {
    this.s = s;
    this.unacked = new UnackedEntries(s.maxUnacked());
    this.deadLetters = new DeadLetters(s.redis().stream(), s.deadLetters(), unacked);
    this.refusals = new Refusals<>(s.redis(), unacked, s.minIdleMillis());
    this.outage = new OutageLog(LOG, "stream worker on " + s.redis().stream());
  }

  /**
   * Asks the loop to stop reading; it then waits for the downstream batcher at most {@code
   * drainTimeoutNanos} and acknowledges what finished.
   */
  public void stop(long drainTimeoutNanos) {
    this.drainTimeoutNanos = drainTimeoutNanos;
    running = false;
    stopped.countDown();
    unacked.wake();
  }

  /** {@return the entries acknowledged so far} */
  public long acked() {
    return acked.sum();
  }

  /** {@return the entries handed to the dead-letter handler so far} */
  public long deadLettered() {
    return deadLetters.count();
  }

  /** {@return the entries read and not yet acknowledged nor given back} */
  public int unacked() {
    return unacked.size();
  }

  /** {@return the {@link VirtualMachineError} that ended the loop, or null} */
  public @Nullable Throwable failure() {
    return failure;
  }

  @Override
  public void run() {
    try {
      while (running) {
        try {
          round();
          outage.succeeded();
        } catch (JedisException e) {
          if (!recreatedGroup(e)) {
            pause(outage.failed(e));
          }
        } catch (VirtualMachineError e) {
          throw e;
        } catch (RuntimeException | Error e) { // a bug, or the downstream batcher's or codec's
          pause(outage.failed(e));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (VirtualMachineError e) {
      failure = e;
      LOG.error("stream worker on {} stopped by {}; its entries stay pending",
          s.redis().stream(), e.toString(), e);
    } finally {
      drain();
    }
  }

  private void round() throws InterruptedException {
    long version = unacked.version();
    ackFinished();
    if (!refusals.isEmpty()) { // no reading nor claiming until the downstream batcher has room
      switch (refusals.resubmit(this::submit, version)) {
        case CLOSED -> downstreamClosed();
        case ACCEPTED, REFUSED -> { }
      }
      return;
    }
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

  /**
   * After {@code NOGROUP} (the group was destroyed): creates it again after the last entry this
   * worker acknowledged, so that it neither replays the whole stream nor skips what it had not
   * finished. {@return true if it did}
   */
  private boolean recreatedGroup(JedisException e) {
    if (!(e instanceof JedisDataException)
        || !RedisErrors.code(e.getMessage()).equals("NOGROUP")) {
      return false;
    }
    LOG.warn("consumer group of stream {} is gone; creating it again after entry {}, the last"
        + " this worker acknowledged", s.redis().stream(), lastAcked);
    try {
      s.redis().createGroup(lastAcked);
    } catch (JedisException again) {
      e.addSuppressed(again);
      return false;
    }
    claimCursor = StreamCommands.START;
    return true;
  }

  private void pause(long millis) throws InterruptedException {
    stopped.await(millis, TimeUnit.MILLISECONDS); // a pause before the next attempt, or stop()
  }

  private void downstreamClosed() {
    if (running) {
      LOG.warn("the downstream batcher {} is closed: the stream worker on {} stops reading; its"
          + " {} unacknowledged entries stay pending for another worker",
          s.downstream().name(), s.redis().stream(), unacked.size());
      running = false;
    }
  }

  private void claimIdle() {
    nextClaimNanos = System.nanoTime() + s.claimIntervalNanos();
    int room = unacked.room();
    if (room <= 0) {
      return;
    }
    StreamCommands.Claim claimed =
        s.redis().claimIdle(s.minIdleMillis(), claimCursor, Math.min(room, s.readCount()));
    claimCursor = claimed.cursor();
    if (!claimCursor.equals(StreamCommands.START)) {
      nextClaimNanos = System.nanoTime(); // more to scan: go on next round
    }
    for (StreamEntryID id : claimed.deleted()) {
      deadLetters.deleted(id);
    }
    if (!claimed.entries().isEmpty()) {
      LOG.debug("claimed {} idle entries of stream {}", claimed.entries().size(),
          s.redis().stream());
      accept(claimed.entries(), true);
    }
  }

  /** Submits each entry's item, or dead-letters the entry. */
  private void accept(List<StreamEntry> entries, boolean redelivered) {
    Map<StreamEntryID, Long> deliveries = redelivered
        ? s.redis().deliveries(entries.stream().map(StreamEntry::getID).toList(), s.maxUnacked())
        : Map.of();
    for (StreamEntry entry : entries) {
      StreamEntryID id = entry.getID();
      Long count = redelivered ? deliveries.get(id) : Long.valueOf(1); // '>': the first delivery
      if (count == null) {
        LOG.debug("entry {} is no longer pending under this consumer; skipped", id);
        continue;
      }
      if (!unacked.hold(id)) {
        continue; // claimed back while its item is still in flight here
      }
      long delivered = count;
      Map<String, String> fields = entry.getFields();
      if (fields == null || fields.isEmpty()) {
        deadLetters.entry(id, Map.of(), delivered, new IllegalStateException(
            "the entry has no fields: it was deleted or trimmed from the stream while pending"));
        continue;
      }
      if (delivered > s.maxDeliveries()) {
        deadLetters.entry(id, fields, delivered, new IllegalStateException("the entry was"
            + " delivered " + delivered + " times, more than maxDeliveries (" + s.maxDeliveries()
            + ")"));
        continue;
      }
      T item;
      try {
        item = s.codec().decode(fields);
        if (item == null) {
          throw new NullPointerException("the codec decoded the entry as null");
        }
      } catch (VirtualMachineError e) {
        throw e;
      } catch (Throwable e) { // an Error from the codec too: the entry is poison, not the worker
        deadLetters.entry(id, fields, delivered, e);
        continue;
      }
      if (!refusals.isEmpty()) { // keep the order: behind the refused ones
        refusals.add(id, item);
        continue;
      }
      switch (submit(id, item)) {
        case REFUSED -> refusals.add(id, item);
        case CLOSED -> {
          refusals.add(id, item);
          downstreamClosed();
        }
        case ACCEPTED -> { }
      }
    }
  }

  /** Submits the item of the held entry {@code id}; a refused item stays held. */
  private Refusals.Outcome submit(StreamEntryID id, T item) {
    CompletableFuture<Void> written;
    try {
      written = s.downstream().submit(item);
    } catch (RuntimeException e) {
      LOG.warn("the downstream batcher threw on submit; entry {} stays pending", id, e);
      unacked.release(id);
      return Refusals.Outcome.ACCEPTED;
    }
    if (written.isCompletedExceptionally()) {
      Refusals.Outcome refused = Refusals.refusal(written.handle((ok, f) -> f).join());
      if (refused != Refusals.Outcome.ACCEPTED) {
        return refused;
      }
    }
    written.whenComplete((ok, failure) -> {
      if (failure == null || deadLetteredDownstream(failure)) {
        unacked.finish(id);
      } else if (Refusals.refusal(failure) != Refusals.Outcome.ACCEPTED) {
        refusals.add(id, item); // refused after submit returned: offered again
      } else {
        LOG.debug("item of entry {} failed ({}); it stays pending", id, failure.toString());
        unacked.release(id);
      }
    });
    return Refusals.Outcome.ACCEPTED;
  }

  private static boolean deadLetteredDownstream(Throwable failure) {
    Throwable f = failure instanceof CompletionException && failure.getCause() != null
        ? failure.getCause() : failure;
    return f instanceof ItemWriteException w && w.deadLettered();
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
    for (StreamEntryID id : ids) {
      if (id.compareTo(lastAcked) > 0) {
        lastAcked = id;
      }
    }
  }

  /**
   * After the last read: waits for the downstream batcher at most the drain timeout, then
   * acknowledges what finished. What has not finished by then stays pending.
   */
  private void drain() {
    try {
      s.downstream().flush().get(drainTimeoutNanos, TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      LOG.warn("flushing the downstream batcher failed", e);
    } catch (TimeoutException e) {
      LOG.warn("the downstream batcher did not finish within {} ms of close; the entries of its"
          + " unfinished items stay pending", TimeUnit.NANOSECONDS.toMillis(drainTimeoutNanos));
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
