package dev.batcher.internal;

import dev.batcher.TimeSource;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Where producers wait for room under {@code OverflowPolicy.BLOCK}, and how released capacity
 * wakes them: as many as slots were released, so that a release of one slot does not wake a
 * herd, and nothing at all (one volatile read) when none waits. j.u.c locks do not pin virtual
 * threads.
 *
 * <p>Internal: not API, may change in any release.
 */
final class RoomSignal {
  /** Refusal codes of a blocked claim, besides {@link Intake#FULL} and {@link Intake#CLOSED}. */
  static final long INTERRUPTED = -3;
  static final long BLOCK_TIMEOUT = -4;
  /** The slice in which a blocked producer re-reads the (possibly manual) clock. */
  private static final long BLOCK_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  /** One attempt at a claim: a ticket, or {@link Intake#FULL} or {@link Intake#CLOSED}. */
  interface Claim {
    long tryClaim();
  }

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition notFull = lock.newCondition();
  /**
   * Producers waiting under {@link #lock}. Raised before a waiter's attempt and read by every
   * release after its own store to the intake's released count (both sequentially consistent):
   * a release either is seen by the attempt or sees the waiter and signals it.
   */
  private final AtomicInteger blocked = new AtomicInteger();

  /**
   * Claims, waiting for room until {@code timeoutNanos} have passed on {@code time}.
   *
   * @return the ticket, {@link Intake#CLOSED}, {@link #BLOCK_TIMEOUT} or {@link #INTERRUPTED}
   */
  long claimBlocking(Claim claim, TimeSource time, long timeoutNanos) {
    long deadline = time.nanoTime() + timeoutNanos;
    try {
      lock.lockInterruptibly();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return INTERRUPTED;
    }
    blocked.incrementAndGet();
    try {
      while (true) {
        // blocked was raised before this attempt, so a release after it signals us.
        long ticket = claim.tryClaim();
        if (ticket >= 0 || ticket == Intake.CLOSED) {
          return ticket;
        }
        long remaining = deadline - time.nanoTime();
        if (remaining <= 0) {
          return BLOCK_TIMEOUT;
        }
        notFull.awaitNanos(Math.min(remaining, BLOCK_SLICE_NANOS));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return INTERRUPTED;
    } finally {
      blocked.decrementAndGet();
      lock.unlock();
    }
  }

  /** Producers waiting for room now. */
  int waiting() {
    return blocked.get();
  }

  /** {@code released} units of room were given back: lets as many blocked producers retry. */
  void signal(int released) {
    int waiting = blocked.get();
    if (waiting > 0) {
      lock.lock();
      try {
        if (released >= waiting) {
          notFull.signalAll();
        } else {
          for (int i = 0; i < released; i++) {
            notFull.signal();
          }
        }
      } finally {
        lock.unlock();
      }
    }
  }
}
