package dev.batcher.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Whether a batcher is closed, aborted or terminated, and the one step that terminates it: the
 * last release of capacity after close. Producers read {@link #closed} on every submit, so the
 * flags sit on cache lines of their own (padding on both sides): nothing written per batch may
 * share them (a write per batch beside a flag read per submit costs every producer a cross-core
 * miss per batch).
 *
 * <p>Ordering: {@code closed} is set after the intake refuses claims (see {@code
 * DefaultBatcher.close}); it is a plain volatile, so a producer that sees it false may still
 * claim, and the claim then decides. {@code aborted} is set before {@link #terminated} completes:
 * a thread that sees the termination sees the abort.
 *
 * <p>Internal: not API, may change in any release.
 */
final class Lifecycle extends LifecycleUnsettled {
  /** How often a close that gave up looks again whether its drops are all counted. */
  private static final long ABORT_SETTLE_POLL_NANOS = 50_000;

  long p20, p21, p22, p23, p24, p25, p26, p27, p28, p29, p2a, p2b, p2c, p2d, p2e, p2f;

  private final Intake<?> intake;
  private final RoomSignal room;
  /** Wakes every batcher thread once terminated; set once while the batcher is wired. */
  private Runnable onTerminated = () -> { };
  /**
   * Set on a thread, for this batcher, while it settles one of this batcher's sink calls without
   * being one of its threads (an async sink's stage completes on the sink's own threads), or while
   * a worker that gave up its place drops a batch: the futures' callbacks it runs meanwhile may
   * call close, which must then not wait for the {@link #unsettled} step its own thread is in (see
   * DefaultBatcher.isBatcherThread). Written and read only by the thread itself: no ordering.
   */
  private final ThreadLocal<Boolean> settlingHere = new ThreadLocal<>();

  Lifecycle(Intake<?> intake, RoomSignal room) {
    this.intake = intake;
    this.room = room;
  }

  void onTerminated(Runnable wakeAll) {
    this.onTerminated = wakeAll;
  }

  boolean isClosed() {
    return closed;
  }

  /** Whether close has started (it may not have marked the batcher closed yet). */
  boolean isClosing() {
    return closeStarted.get();
  }

  boolean isAborted() {
    return aborted;
  }

  boolean isTerminated() {
    return terminated.isDone();
  }

  /** The first call returns true: that caller closes the intake and marks the batcher closed. */
  boolean startClosing() {
    return closeStarted.compareAndSet(false, true);
  }

  void markClosed() {
    closed = true;
  }

  void markAborted() {
    aborted = true;
  }

  /** An abort dropped items, or will drop late entries: called before it terminates. */
  void markAbortDropped() {
    abortDropped = true;
  }

  /** Whether an abort dropped (or will drop) items; see {@link #markAbortDropped()}. */
  boolean abortDropped() {
    return abortDropped;
  }

  /** A step that may drop items for an abort begins; see {@link #unsettled}. */
  void beginUnsettled() {
    UNSETTLED.getAndAdd(this, 1);
  }

  /** That step's drops are counted. */
  void endUnsettled() {
    UNSETTLED.getAndAdd(this, -1);
  }

  /**
   * Marks the calling thread as settling for this batcher until {@link #unmarkSettlingThread}; a
   * thread-local set, and a remove after, per call.
   *
   * @return whether this call marked it (false if an enclosing step on this thread already had)
   */
  boolean markSettlingThread() {
    if (settlingHere.get() != null) {
      return false;
    }
    settlingHere.set(Boolean.TRUE);
    return true;
  }

  /** Ends what {@link #markSettlingThread()} returned {@code marked} for. */
  void unmarkSettlingThread(boolean marked) {
    if (marked) {
      settlingHere.remove();
    }
  }

  /** Whether the calling thread is in a step marked by {@link #markSettlingThread()}. */
  boolean isSettlingThread() {
    return settlingHere.get() != null;
  }

  /**
   * After an abort: waits until every step that may still drop items for it has counted its
   * drops, and every claim made before close has been published and dropped (or cancelled), but
   * not past {@code deadline} ({@link System#nanoTime()}): these are steps of a few instructions,
   * unless user code on a batcher thread (a future's callback, a listener) holds one up. Waits
   * in real time and keeps the caller's interrupt status.
   *
   * @return true if everything settled in time: the CLOSE_TIMEOUT drop count is then final
   */
  boolean awaitAbortSettled(long deadline) {
    boolean interrupted = Thread.interrupted(); // or parkNanos would return at once
    try {
      for (int spins = 0; ; spins++) {
        // The claims first: the monitor raises the count before it takes a late entry out, and
        // lowers it after counting the drop, so no claim left and then a zero count means that
        // the drops of the late entries are counted too.
        if (!intake.hasClaims() && unsettled == 0) {
          return true;
        }
        if (deadline - System.nanoTime() <= 0) {
          return false;
        }
        if (spins < 100) {
          Thread.onSpinWait();
        } else {
          LockSupport.parkNanos(this, ABORT_SETTLE_POLL_NANOS);
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  CompletableFuture<Void> terminated() {
    return terminated;
  }

  /**
   * Called after capacity was released: ends a closing batcher once nothing is accepted. The
   * count is read only once closed, so the workers' hot path never reads the producers' claim
   * counter here.
   */
  void afterRelease() {
    if (closed && intake.accepted() == 0) {
      room.signal(Integer.MAX_VALUE);
      terminate();
    }
  }

  void terminate() {
    if (terminated.complete(null)) {
      onTerminated.run();
    }
  }
}

abstract class LifecyclePad {
  /**
   * Fills the 4 bytes after a 12-byte header (compressed class pointers): the field layout of JDK
   * 15 and later puts a subclass's int or boolean there otherwise, in front of the padding, on
   * the cache line of whatever object precedes this one in memory.
   */
  int p0g;

  long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p0a, p0b, p0c, p0d, p0e, p0f;
}

abstract class LifecycleFields extends LifecyclePad {
  /** Set once by close(), after the intake refuses claims; read on every submit. */
  volatile boolean closed;
  /** Set once by close(Duration) giving up, before {@link #terminated} completes. */
  volatile boolean aborted;
  /**
   * Set by close(Duration) giving up when it dropped items (or leaves late entries for the
   * monitor to drop), before it terminates the batcher. A volatile write before {@link
   * #terminated} completes: a close that returns after the termination sees it. Items it dropped
   * that let the batcher terminate before this write are seen through the CLOSE_TIMEOUT drop
   * counter, which a settlement adds to before it releases capacity (see DefaultBatcher).
   */
  volatile boolean abortDropped;
  final CompletableFuture<Void> terminated = new CompletableFuture<>();
  /**
   * Won by the one close() that closes the intake. Its compare-and-set is the only ordering
   * relied on: exactly one caller sees false; readers ({@code isClosing}) need only eventually
   * see true.
   */
  final AtomicBoolean closeStarted = new AtomicBoolean();
}

abstract class LifecyclePad1 extends LifecycleFields {
  /**
   * Fills the 4-byte hole that {@link LifecycleFields} leaves before this class's longs: the
   * field layout of JDK 15 and later puts a subclass's int in such a hole, which would put {@link
   * LifecycleUnsettled#unsettled} beside the flags.
   */
  int p1g;

  long p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p1a, p1b, p1c, p1d, p1e, p1f;
}

/**
 * The count of {@link Lifecycle#beginUnsettled() unsettled} steps, between two paddings (this
 * class's superclass and {@link Lifecycle}'s first fields), so that what workers write per batch
 * shares no cache line with the flags producers read, nor with any other object. Layout on JDK 17
 * with compressed pointers (checked with JOL): fillers at 12 and 156, the flags at 144 to 146,
 * {@code p1x} from 160, {@code unsettled} at 288, {@code p2x} from 296, the final references from
 * 424 (and one of them in the hole at 292): 440 bytes.
 */
abstract class LifecycleUnsettled extends LifecyclePad1 {
  static final VarHandle UNSETTLED;

  static {
    try {
      UNSETTLED = MethodHandles.lookup()
          .findVarHandle(LifecycleUnsettled.class, "unsettled", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /**
   * Steps under way that may still drop items for an abort where the abort cannot see them: a
   * batch taken out of the former and not yet in the flight table (or the drops the former found
   * on the way, and committed outside its lock), a returned sink call being settled (its retries
   * are dropped once aborted), the monitor's scan (its delivery-timeout drops, late claims).
   * Raised per batch or per scan, never per item.
   *
   * <p>Ordering: changed only by atomic adds ({@code getAndAdd}, sequentially consistent), read as
   * a volatile. A step raises it before it looks at {@code aborted} or ends an entry (or, for a
   * batch, under the consumer lock, which the abort takes after marking itself), and lowers it
   * after its drops are counted and their futures completed; the abort marks itself, ends what it
   * can see (failing to end an entry a step ended first means the step's raise is visible), then
   * reads this. So an aborting close that reads zero has every drop for it counted and every
   * future completed (see {@link Lifecycle#awaitAbortSettled}).
   */
  volatile int unsettled;
}
