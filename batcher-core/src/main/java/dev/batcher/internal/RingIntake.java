package dev.batcher.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * The intake for {@code BLOCK} and {@code FAIL}: a lock-free ring of entry slots in which the
 * producer's sequence number is at once the capacity reservation, the queue position and the
 * flush stamp. A producer pays one compare-and-set on that number and one release store into its
 * slot; the consumer reads slots in order from an array (no pointer chasing) and pays nothing
 * atomic per entry.
 *
 * <p><b>Capacity.</b> A producer claims number {@code p} only while {@code p - released <
 * capacity}, where {@link #released} counts the entries that have finished (and cancelled claims
 * that were taken out). Entries finish only after they were taken out, so {@code released} never
 * exceeds what the consumer has taken out, and the ring, at least {@code capacity} slots long,
 * always has the slot of {@code p} free: its previous occupant, {@code p - ringSize}, was taken
 * out before any release that let {@code p} be claimed. The release is the consumer's null store
 * on the slot happening before the release count that the producer reads (a chain of volatile
 * accesses and hand-overs), so the producer's store never races the consumer's.
 *
 * <p><b>Claimed but not published.</b> Between its compare-and-set and its store, a producer's
 * slot is empty although numbered: the consumer stops there (nothing behind it is visible yet,
 * and order is kept). {@link #hasClaims()} tells the batcher that such a slot exists, so that it
 * waits for it instead of parking.
 *
 * <p><b>Closing</b> sets a bit in the claim number ({@link Intake#CLOSED_BIT}), so that a claim
 * either precedes the close or fails: nothing can be claimed once the batcher's close has read
 * the accepted count.
 *
 * <p><b>Cancelled claims</b> (a producer that lost a coalescing race, or met an error between
 * its claim and its publish) publish a shared tombstone; the consumer skips it and releases its room then,
 * never earlier, which keeps the capacity argument above intact.
 *
 * <p><b>Memory.</b> The ring is split into chunks of up to 4,096 slots, allocated on first use:
 * memory follows the largest backlog seen, not the configured capacity.
 *
 * <p>Internal: not API, may change in any release.
 */
final class RingIntake<T> extends RingFields<T> {
  private static final int MAX_CHUNK_SHIFT = 12;
  /** Spin rounds after a lost compare-and-set, doubling per loss up to the maximum (~0.6-5 µs). */
  private static final int MIN_BACKOFF_SPINS = 32;
  private static final int MAX_BACKOFF_SPINS = 256;
  /**
   * A slot: stores are release, loads acquire. The producer's release store of its entry makes
   * the entry's fields (written before) visible to the consumer's acquire load that finds it;
   * the consumer's release store of null orders its reads of the old entry before the room is
   * given back (see the class comment).
   */
  private static final VarHandle CHUNK_SLOT = MethodHandles.arrayElementVarHandle(Entry[].class);
  /**
   * A chunk of slots: installed by compare-and-exchange (the first thread wins, the others use
   * its chunk) and read with acquire, so a chunk is seen only after its allocation.
   */
  private static final VarHandle CHUNKS = MethodHandles.arrayElementVarHandle(Entry[][].class);

  /** Chunks of slots, installed by whichever thread first needs one. */
  private final Entry<T>[][] chunks;
  private final long mask;
  private final int chunkShift;
  private final int chunkMask;
  private final Intake.RoomListener room;
  /**
   * Test seam: run after each back-off of a producer that lost the claim's compare-and-set (a
   * slow path). Null outside tests; volatile so that a test's setting is seen by any producer.
   */
  private volatile @Nullable Runnable backOffProbe;
  /**
   * Claims cancelled: tombstones published. A striped counter: each cancellation adds after its
   * claim's compare-and-set, and no ordering with the ring is relied on. It serves only {@link
   * #acceptedTotal()}, for the metrics.
   */
  private final LongAdder cancelled = new LongAdder();

  @SuppressWarnings("unchecked")
  RingIntake(FlushTracker flushes, int capacity, Intake.RoomListener room) {
    super(flushes, capacity);
    long size = Long.highestOneBit(Math.max(2L, capacity) - 1) << 1; // power of two >= capacity
    this.mask = size - 1;
    this.chunkShift = Math.min(MAX_CHUNK_SHIFT, Long.numberOfTrailingZeros(size));
    this.chunkMask = (1 << chunkShift) - 1;
    this.chunks = (Entry<T>[][]) new Entry<?>[(int) (size >>> chunkShift)][];
    this.chunks[0] = (Entry<T>[]) new Entry<?>[1 << chunkShift];
    this.room = room;
  }

  @Override
  long claim() {
    return claimFrom((long) PRODUCER.getVolatile(this));
  }

  /** {@link #claim()} from a reading of the claim counter that may be stale by now. */
  long claimFrom(long observed) {
    long p = observed;
    int backoff = MIN_BACKOFF_SPINS;
    while (true) {
      if ((p & CLOSED_BIT) != 0) {
        return CLOSED;
      }
      // The limit is cached beside the claim number: the released count is written once per
      // batch by the worker, and reading it on every claim would cost a cross-core miss per
      // batch. released only grows, so a cached (or stale) limit can only refuse early, and a
      // refusal looks again.
      if (p >= producerLimit) {
        long limit = (long) RELEASED.getVolatile(this) + capacity;
        if (p >= limit) {
          return FULL;
        }
        producerLimit = limit; // racy but safe: any limit computed is one that held
      }
      // Full fence: orders this claim before the caller's later read of the former's state
      // (the wake-up handshake in DefaultBatcher).
      long witness = (long) PRODUCER.compareAndExchange(this, p, p + 1);
      if (witness == p) {
        return p;
      }
      // Lost to another producer: back off before trying again, longer each time. Producers
      // that take turns claiming runs of slots pass the counter's cache line (and the slots')
      // between cores far less often than producers that alternate slot by slot. Then read the
      // counter again: the witness is stale by now (the winner has likely claimed more since),
      // and retrying with it would lose every time while the winner keeps claiming.
      backOff(backoff);
      backoff = Math.min(backoff << 1, MAX_BACKOFF_SPINS);
      p = (long) PRODUCER.getVolatile(this);
    }
  }

  /** Spins {@code spins} rounds after a lost claim, then runs the test seam if one is set. */
  private void backOff(int spins) {
    for (int i = spins; i > 0; i--) {
      Thread.onSpinWait();
    }
    Runnable probe = backOffProbe;
    if (probe != null) {
      probe.run();
    }
  }

  /** Test seam: see {@link #backOffProbe}. */
  void probeEachBackOff(@Nullable Runnable probe) {
    this.backOffProbe = probe;
  }

  @Override
  void close() {
    PRODUCER.getAndBitwiseOr(this, CLOSED_BIT);
  }

  /** The claim counter without the closed bit. */
  private long claimed() {
    return (long) PRODUCER.getVolatile(this) & ~CLOSED_BIT;
  }

  @Override
  void publish(long ticket, Entry<T> e) {
    // Release: the entry's fields are written before the consumer can see it.
    CHUNK_SLOT.setRelease(chunkFor(ticket), slotIndex(ticket), e);
  }

  @Override
  void cancel(long ticket) {
    cancelled.increment();
    CHUNK_SLOT.setRelease(chunkFor(ticket), slotIndex(ticket), Entry.TOMBSTONE);
  }

  @Override
  void release(int n) {
    RELEASED.getAndAdd(this, (long) n);
  }

  @Override
  long accepted() {
    long released = (long) RELEASED.getVolatile(this); // first: the difference is never negative
    return claimed() - released;
  }

  /**
   * Not an atomic snapshot: an approximation of some moment between its two reads, for the
   * metrics. Cancellations are read first and every cancellation comes after its claim, so the
   * result is never negative; it may count a claim that is cancelled a moment later (a producer
   * refused after its claim, or failing between claim and publish), so a later reading may be
   * smaller by such claims.
   */
  @Override
  long acceptedTotal() {
    long cancelledSoFar = cancelled.sum();
    return claimed() - cancelledSoFar;
  }

  @Override
  long queued() {
    long consumed = consumerSeq; // first: the difference is never negative
    return claimed() - consumed;
  }

  @Override
  long queuedAfter(long ticket) {
    return ticket + 1 - consumerSeq;
  }

  @Override
  boolean hasClaims() {
    return claimed() != consumerSeq;
  }

  @Override
  @Nullable Entry<T> peek() {
    while (true) {
      long c = consumerSeq;
      Entry<T>[] chunk = chunkIfPresent(c);
      if (chunk == null) {
        return null;
      }
      int i = slotIndex(c);
      @SuppressWarnings("unchecked")
      Entry<T> e = (Entry<T>) CHUNK_SLOT.getAcquire(chunk, i);
      if (e != Entry.TOMBSTONE) {
        return e; // null: not published yet
      }
      // A cancelled claim: take it out, and only then give its room back.
      CHUNK_SLOT.setRelease(chunk, i, null);
      CONSUMER.setRelease(this, c + 1);
      RELEASED.getAndAdd(this, 1L);
      room.released(1);
    }
  }

  @Override
  @Nullable Entry<T> poll() {
    Entry<T> e = peek(); // skips tombstones
    if (e == null) {
      return null;
    }
    long c = consumerSeq;
    CHUNK_SLOT.setRelease(chunkIfPresent(c), slotIndex(c), null);
    CONSUMER.setRelease(this, c + 1);
    e.epoch = flushes.stamp(c);
    return e;
  }

  @Override
  long nextSequence() {
    return claimed();
  }

  @Override
  boolean closeConsumedEpochs() {
    return flushes.closeConsumed(consumerSeq);
  }

  private int slotIndex(long seq) {
    return (int) (seq & mask) & chunkMask;
  }

  @SuppressWarnings("unchecked")
  private Entry<T> @Nullable [] chunkIfPresent(long seq) {
    return (Entry<T>[]) CHUNKS.getAcquire(chunks, (int) ((seq & mask) >>> chunkShift));
  }

  @SuppressWarnings("unchecked")
  private Entry<T>[] chunkFor(long seq) {
    int ci = (int) ((seq & mask) >>> chunkShift);
    Entry<T>[] chunk = (Entry<T>[]) CHUNKS.getAcquire(chunks, ci);
    if (chunk == null) {
      Entry<T>[] fresh = (Entry<T>[]) new Entry<?>[chunkMask + 1];
      Object witness = CHUNKS.compareAndExchange(chunks, ci, null, fresh);
      chunk = witness == null ? fresh : (Entry<T>[]) witness;
    }
    return chunk;
  }
}

/*
 * The ring's three hot counters, each on its own cache lines: the producers' claim number
 * (written by every producer), the consumer's position (written by the consumer) and the released
 * count (written once per settled batch). Superclass fields are laid out before subclass fields,
 * so the padding classes in between keep them apart (the JCTools layout).
 */

abstract class RingPad0<T> extends Intake<T> {
  long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p0a, p0b, p0c, p0d, p0e, p0f;

  RingPad0(FlushTracker flushes, int capacity) {
    super(flushes, capacity);
  }
}

abstract class RingProducer<T> extends RingPad0<T> {
  /** The next claim's number, and {@link Intake#CLOSED_BIT}; written only atomically. */
  volatile long producerSeq;
  /** Claims below this fit the capacity: released + capacity, as last read by a producer. */
  volatile long producerLimit;

  RingProducer(FlushTracker flushes, int capacity) {
    super(flushes, capacity);
  }
}

abstract class RingPad1<T> extends RingProducer<T> {
  long p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p1a, p1b, p1c, p1d, p1e, p1f;

  RingPad1(FlushTracker flushes, int capacity) {
    super(flushes, capacity);
  }
}

abstract class RingConsumer<T> extends RingPad1<T> {
  /** The next number to take out; written only by the consumer, read by anyone. */
  volatile long consumerSeq;

  RingConsumer(FlushTracker flushes, int capacity) {
    super(flushes, capacity);
  }
}

abstract class RingPad2<T> extends RingConsumer<T> {
  long p20, p21, p22, p23, p24, p25, p26, p27, p28, p29, p2a, p2b, p2c, p2d, p2e, p2f;

  RingPad2(FlushTracker flushes, int capacity) {
    super(flushes, capacity);
  }
}

abstract class RingReleased<T> extends RingPad2<T> {
  /** Entries finished, plus cancelled claims taken out: room given back. */
  volatile long released;

  RingReleased(FlushTracker flushes, int capacity) {
    super(flushes, capacity);
  }
}

abstract class RingFields<T> extends RingReleased<T> {
  static final VarHandle PRODUCER;
  static final VarHandle CONSUMER;
  static final VarHandle RELEASED;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      PRODUCER = lookup.findVarHandle(RingProducer.class, "producerSeq", long.class);
      CONSUMER = lookup.findVarHandle(RingConsumer.class, "consumerSeq", long.class);
      RELEASED = lookup.findVarHandle(RingReleased.class, "released", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  long p30, p31, p32, p33, p34, p35, p36, p37, p38, p39, p3a, p3b, p3c, p3d, p3e, p3f;

  RingFields(FlushTracker flushes, int capacity) {
    super(flushes, capacity);
  }
}
