package dev.batcher.internal;

import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jspecify.annotations.Nullable;

/**
 * The sink calls in flight: a table with one slot per allowed call ({@code maxInFlightBatches}),
 * so that registering and removing a batch costs one compare-and-set each and no allocation,
 * where a concurrent set would hash, allocate a node and resize. A call is removed (settled)
 * before its slot may be taken again: a worker takes a new batch only after settling its last
 * one, an async call's permit is released after it is settled, and an abandoned call is settled
 * before its replacement worker starts.
 *
 * <p>Internal: not API, may change in any release.
 */
final class FlightTable<F> {
  /**
   * One slot per allowed call, null when free. Taken and freed by compare-and-set (volatile
   * semantics): a flight is fully built before the compare-and-set that adds it, so a reader
   * (the monitor scanning for timeouts, the metrics counting) that gets it from {@code get}
   * sees it whole. Scans ({@link #count()}, {@link #isEmpty()}) read slot by slot, not as one
   * snapshot.
   */
  private final AtomicReferenceArray<F> slots;

  FlightTable(int size) {
    this.slots = new AtomicReferenceArray<>(size);
  }

  /** Puts {@code flight} in a free slot, looking from {@code hint} on. */
  void add(F flight, int hint) {
    int n = slots.length();
    while (true) {
      for (int k = 0; k < n; k++) {
        int i = Math.floorMod(hint + k, n);
        if (slots.get(i) == null && slots.compareAndSet(i, null, flight)) {
          return;
        }
      }
      // Every slot taken: only a settle racing with this add can be the cause; it ends at once.
      Thread.onSpinWait();
    }
  }

  /**
   * Removes {@code flight}, found by identity (a settle may race with the add that put it in:
   * looking it up, rather than remembering its slot, cannot miss it).
   */
  void remove(F flight) {
    for (int i = 0; i < slots.length(); i++) {
      if (slots.get(i) == flight && slots.compareAndSet(i, flight, null)) {
        return;
      }
    }
  }

  boolean isEmpty() {
    for (int i = 0; i < slots.length(); i++) {
      if (slots.get(i) != null) {
        return false;
      }
    }
    return true;
  }

  int count() {
    int c = 0;
    for (int i = 0; i < slots.length(); i++) {
      if (slots.get(i) != null) {
        c++;
      }
    }
    return c;
  }

  /** The number of slots, for iterating with {@link #get}. */
  int size() {
    return slots.length();
  }

  /** The call in slot {@code i}, or null. */
  @Nullable F get(int i) {
    return slots.get(i);
  }
}
