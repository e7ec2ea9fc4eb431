package dev.batcher.internal;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import dev.batcher.AsyncBatchSink;
import dev.batcher.BatchResult;
import dev.batcher.BatchSink;
import dev.batcher.Batcher;
import dev.batcher.BatcherListener;
import dev.batcher.BatcherMetrics;
import dev.batcher.RefusalReason;
import dev.batcher.RejectedItemException;
import dev.batcher.testing.ManualTimeSource;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Liveness races between the ring intake's claims, flush() and close(), found in review with
 * standalone reproductions: a claim stranded after every worker left, a flush() that never
 * completed (at the last former's exit, just past a cancelled claim, or on the idle path), and a
 * claim leaked by an Error between claim and publish. Each interleaving is forced with gates (a
 * clock that stops or throws on a chosen read, a blocking listener, sink or future callback), so
 * the tests are deterministic; only {@link #flush_afterEachItemOnAnIdleBatcher_alwaysCompletes}
 * is a bounded loop. Since the fix, close() sets a bit in the claim counter and producers read the
 * clock before they claim, so some of the old interleavings cannot happen any more; those tests
 * force the closest one that can, and say so.
 */
class IntakeRacesTest {
  /** How long a prompt answer may take; a hang fails the test after this. */
  private static final Duration PROMPTLY = Duration.ofSeconds(5);
  /** close(Duration)'s own limit: far above {@link #PROMPTLY}, so that giving up shows as a hang. */
  private static final Duration CLOSE_LIMIT = Duration.ofSeconds(20);

  private final List<Gate> gates = new CopyOnWriteArrayList<>();
  private final List<Batcher<?>> batchers = new CopyOnWriteArrayList<>();

  /** A failed test must not leave threads stopped at a gate or batchers running. */
  @AfterEach
  void openGatesAndClose() {
    gates.forEach(Gate::open);
    for (Batcher<?> b : batchers) {
      b.close(Duration.ofMillis(100));
    }
  }

  // ================================================================================= bug 1: close

  /**
   * A producer stops just before its claim (on the clock read) while close() waits for an item in
   * flight; that item's room is released but its settlement, which ends the close, is still
   * running callbacks, and a flush() lets the idle worker see nothing accepted and leave. When
   * the producer resumes, its claim must fail: before the fix it claimed, saw closed, and left a
   * cancelled claim that no worker would take out, so close() hung until the delivery timeout.
   * The old order (claim, then check closed) is gone, so this forces the closest interleaving:
   * the producer resumes after the close and after every worker has left.
   */
  @Test
  @Timeout(30)
  void close_producerResumesAfterTheLastWorkerLeft_returnsTrueAtOnce() throws Exception {
    ManualTimeSource clock = ManualTimeSource.realTime();
    Gate clockGate = gate();
    RecordingThreads threads = new RecordingThreads();
    CountDownLatch inSink = new CountDownLatch(1);
    CompletableFuture<BatchResult> call = new CompletableFuture<>();
    Batcher<String> b = track(Batcher.asyncBuilder((AsyncBatchSink<String>) batch -> {
      inSink.countDown();
      return call;
    }).name("strand").queueCapacity(1).maxBatchSize(1).maxInFlightBatches(2)
        .timeSource(clock).threadFactory(threads).build());
    CompletableFuture<Void> x = b.submit("x");
    assertThat(inSink.await(5, SECONDS)).as("x is in flight, holding the only room").isTrue();
    Thread worker = threads.worker();

    CompletableFuture<CompletableFuture<Void>> y = new CompletableFuture<>();
    Thread producer = thread("producer", () -> y.complete(b.submit("y")));
    clock.onNextRead(() -> Thread.currentThread() == producer, clockGate::pass);
    producer.start();
    clockGate.awaitArrival("the producer stops before its claim");

    Gate callback = gate();
    x.whenComplete((v, t) -> callback.pass());
    CompletableFuture<Boolean> closing = new CompletableFuture<>();
    Thread closer = start("closer", () -> closing.complete(b.close(CLOSE_LIMIT)));
    awaitBlocked(closer); // closed, and waiting for x
    start("completer", () -> call.complete(BatchResult.success()));
    callback.awaitArrival("x's room is released; its settlement runs callbacks before it ends");
    CompletableFuture<Void> flushed = b.flush(); // wakes the idle worker: nothing is accepted
    await().atMost(PROMPTLY).until(() -> !worker.isAlive());

    clockGate.open(); // the producer resumes with every worker gone
    assertRefused(y.get(5, SECONDS), RefusalReason.CLOSED);
    callback.open(); // x's settlement goes on, and must end the close
    assertThat(closing).succeedsWithin(PROMPTLY).isEqualTo(true);
    assertThat(x).succeedsWithin(Duration.ZERO);
    assertThat(flushed).succeedsWithin(PROMPTLY);
    assertSettled(b);
  }

  // ====================================================================== bug 2: flush at exit

  /**
   * close() wakes the idle former, which takes the consumer lock and passes its flush check; a
   * flush() then finds the former running (no wake-up) and the lock taken (it cannot close its
   * epoch itself), and the former finds nothing accepted and leaves. The former must close that
   * epoch on its way out: before the fix the flush never completed, nor did any later flush, which
   * returned the same future.
   */
  @Test
  @Timeout(30)
  void flush_duringTheLastFormersExit_completes() throws Exception {
    ManualTimeSource clock = ManualTimeSource.realTime();
    Gate clockGate = gate();
    RecordingThreads threads = new RecordingThreads();
    Batcher<String> b = track(Batcher.builder((BatchSink<String>) batch -> BatchResult.success())
        .name("exitflush").timeSource(clock).threadFactory(threads).build());
    b.submit("x").get(5, SECONDS);
    Thread worker = threads.worker();
    await().atMost(PROMPTLY).until(() -> worker.getState() == Thread.State.WAITING); // idle
    stopFormerOnce(b, clockGate, () -> true);

    CompletableFuture<Boolean> closing = new CompletableFuture<>();
    start("closer", () -> closing.complete(b.close(CLOSE_LIMIT)));
    clockGate.awaitArrival("the former, woken by close(), is past its flush check");
    CompletableFuture<Void> flushed = b.flush();
    clockGate.open(); // the former finds nothing accepted and leaves

    assertThat(closing).succeedsWithin(PROMPTLY).isEqualTo(true);
    assertThat(flushed).succeedsWithin(PROMPTLY);
    assertThat(b.flush()).succeedsWithin(PROMPTLY);
    assertSettled(b);
  }

  // =============================================================== bug 3: flush past a refusal

  /**
   * A producer stops before its claim while the batcher closes and terminates; it resumes, is
   * refused, and a flush() starts while the refusal is being reported. Before the fix the
   * producer had claimed a slot, the flush ended just past it, and the producer's cancel took the
   * slot out itself (the batcher had terminated) without closing the flush's epoch: the flush
   * never completed. Claims now fail once closed, so this forces the closest interleaving: the
   * producer resumes after termination and the flush starts during its refusal.
   */
  @Test
  @Timeout(30)
  void flush_whileALateProducerIsRefusedAfterTermination_completes() throws Exception {
    ManualTimeSource clock = ManualTimeSource.realTime();
    Gate clockGate = gate();
    Gate refusal = gate();
    CountDownLatch inSink = new CountDownLatch(1);
    CountDownLatch sinkGo = new CountDownLatch(1);
    Batcher<String> b = track(Batcher.builder((BatchSink<String>) batch -> {
      inSink.countDown();
      sinkGo.await();
      return BatchResult.success();
    }).name("refusalflush").queueCapacity(1).maxBatchSize(1).timeSource(clock)
        .listener(new BatcherListener<String>() {
          @Override
          public void onRefused(String item, RefusalReason reason) {
            if (item.equals("y")) {
              refusal.pass();
            }
          }
        }).build());
    CompletableFuture<Void> x = b.submit("x");
    assertThat(inSink.await(5, SECONDS)).as("x is in the sink, holding the only room").isTrue();

    CompletableFuture<CompletableFuture<Void>> y = new CompletableFuture<>();
    Thread producer = thread("producer", () -> y.complete(b.submit("y")));
    clock.onNextRead(() -> Thread.currentThread() == producer, clockGate::pass);
    producer.start();
    clockGate.awaitArrival("the producer stops before its claim");
    sinkGo.countDown();
    assertThat(x).succeedsWithin(PROMPTLY);
    assertThat(b.close(CLOSE_LIMIT)).as("nothing is accepted: terminates at once").isTrue();

    clockGate.open();
    refusal.awaitArrival("the producer's refusal is being reported");
    CompletableFuture<Void> flushed = b.flush();
    refusal.open();

    assertRefused(y.get(5, SECONDS), RefusalReason.CLOSED);
    assertThat(flushed).succeedsWithin(PROMPTLY);
    assertSettled(b);
  }

  /**
   * While close() waits for the last item, whose settlement is running its callbacks on the
   * worker, a producer that stopped before its claim resumes, and a flush() starts. Before the
   * fix the producer claimed and cancelled a slot, the flush ended just past it, and the worker
   * took that slot out, terminated and left without closing the flush's epoch: close() returned
   * but the flush never completed. Claims now fail once closed, so this forces the closest
   * interleaving: the flush starts between the refused producer and the worker's last look.
   */
  @Test
  @Timeout(30)
  void flush_whileTheLastItemSettlesDuringClose_completes() throws Exception {
    ManualTimeSource clock = ManualTimeSource.realTime();
    Gate clockGate = gate();
    CountDownLatch inSink = new CountDownLatch(1);
    CountDownLatch sinkGo = new CountDownLatch(1);
    Batcher<String> b = track(Batcher.builder((BatchSink<String>) batch -> {
      inSink.countDown();
      sinkGo.await();
      return BatchResult.success();
    }).name("lastflush").queueCapacity(1).maxBatchSize(1).timeSource(clock).build());
    CompletableFuture<Void> x = b.submit("x");
    assertThat(inSink.await(5, SECONDS)).as("x is in the sink, holding the only room").isTrue();

    CompletableFuture<CompletableFuture<Void>> y = new CompletableFuture<>();
    Thread producer = thread("producer", () -> y.complete(b.submit("y")));
    clock.onNextRead(() -> Thread.currentThread() == producer, clockGate::pass);
    producer.start();
    clockGate.awaitArrival("the producer stops before its claim");

    Gate callback = gate();
    x.whenComplete((v, t) -> callback.pass());
    CompletableFuture<Boolean> closing = new CompletableFuture<>();
    Thread closer = start("closer", () -> closing.complete(b.close(CLOSE_LIMIT)));
    awaitBlocked(closer); // closed, and waiting for x
    sinkGo.countDown();
    callback.awaitArrival("x's room is released; the worker runs its callbacks");
    clockGate.open();
    assertRefused(y.get(5, SECONDS), RefusalReason.CLOSED);
    CompletableFuture<Void> flushed = b.flush();
    callback.open(); // the worker ends x's settlement, looks once more, and leaves

    assertThat(closing).succeedsWithin(PROMPTLY).isEqualTo(true);
    assertThat(flushed).succeedsWithin(PROMPTLY);
    assertSettled(b);
  }

  // ======================================================================= bug 4: idle flush

  /**
   * The former, back from a batch, has passed its flush check and holds the consumer lock when a
   * flush() starts: the flush finds the former running (no wake-up) and the lock taken. The
   * former then closes the flush's epoch in its idle check, and must complete the flush before
   * it parks: before the fix it parked with the epoch closed but the flush never polled, so the
   * flush hung on an idle batcher until the next submit.
   */
  @Test
  @Timeout(30)
  void flush_betweenTheFormersFlushCheckAndItsIdlePark_completes() throws Exception {
    ManualTimeSource clock = ManualTimeSource.realTime();
    Gate clockGate = gate();
    AtomicBoolean written = new AtomicBoolean();
    Batcher<String> b = track(Batcher.builder((BatchSink<String>) batch -> {
      written.set(true);
      return BatchResult.success();
    }).name("idleflush").timeSource(clock).build());
    stopFormerOnce(b, clockGate, written::get);
    b.submit("x").get(5, SECONDS);
    clockGate.awaitArrival("the former is back, past its flush check, holding the lock");
    CompletableFuture<Void> flushed = b.flush();
    clockGate.open();

    assertThat(flushed).succeedsWithin(PROMPTLY);
    assertThat(b.close(CLOSE_LIMIT)).isTrue();
    assertSettled(b);
  }

  /**
   * The same race as {@link #flush_betweenTheFormersFlushCheckAndItsIdlePark_completes} left to
   * the scheduler: a flush() right after each item, as the former goes idle, must always
   * complete. This is a smoke test of the wake-up handshake as a whole: it caught the bug in most
   * runs of this loop but not all, so the gated test is the one that pins it down.
   */
  @Test
  @Timeout(30)
  void flush_afterEachItemOnAnIdleBatcher_alwaysCompletes() throws Exception {
    Batcher<Integer> b = track(Batcher.builder((BatchSink<Integer>) batch -> BatchResult.success())
        .name("idleloop").build());
    for (int i = 0; i < 30_000; i++) {
      b.submit(i).join();
      CompletableFuture<Void> flushed = b.flush();
      try {
        flushed.get(5, SECONDS);
      } catch (TimeoutException e) {
        fail("flush() after item %d did not complete on an idle batcher", i);
      }
    }
    assertThat(b.close(CLOSE_LIMIT)).isTrue();
    assertSettled(b);
  }

  // ================================================================= bug 5: Errors after a claim

  /**
   * A producer finds no entry for its key and stops (on the clock read); another producer
   * creates the key's entry; the first resumes, claims, finds the entry and merges into it, and
   * the merge throws an Error. The item must be refused (MERGE_FAILED, the Error its cause, never
   * thrown from submit) and the claim given back: before the first fix only RuntimeExceptions
   * were caught, the claimed slot was never published nor cancelled, and every item behind it
   * (and close()) waited forever; before the second the Error escaped submit. The clock is read
   * before the claim, so the producer stops before claiming rather than after; the merge still
   * throws while the claim is held.
   */
  @Test
  @Timeout(30)
  void submit_coalescingMergeThrowsAnError_isRefusedAndLaterItemsFlow() throws Exception {
    ManualTimeSource clock = ManualTimeSource.realTime();
    Gate clockGate = gate();
    AssertionError bug = new AssertionError("merge bug");
    List<String> written = new CopyOnWriteArrayList<>();
    Batcher<String> b = track(Batcher.builder((BatchSink<String>) batch -> {
      written.addAll(batch);
      return BatchResult.success();
    }).name("mergeerror").timeSource(clock).maxDelay(Duration.ofSeconds(60))
        .coalesce(s -> s.substring(0, 1), (older, newer) -> {
          if (newer.equals("k2")) {
            throw bug;
          }
          return newer;
        }).build());
    CompletableFuture<CompletableFuture<Void>> k2 = new CompletableFuture<>();
    Thread producer = thread("producer", () -> k2.complete(b.submit("k2")));
    clock.onNextRead(() -> Thread.currentThread() == producer, clockGate::pass);
    producer.start();
    clockGate.awaitArrival("the producer found no entry for key k");
    CompletableFuture<Void> k1 = b.submit("k1"); // creates key k's entry, which waits
    clockGate.open(); // the producer claims, merges into k1's entry, and the merge throws

    CompletableFuture<Void> refused = k2.get(PROMPTLY.toSeconds(), SECONDS);
    assertRefused(refused, RefusalReason.MERGE_FAILED);
    assertThat(refused.handle((v, t) -> t.getCause()).join()).isSameAs(bug);
    assertThat(b.metrics().refused()).containsEntry(RefusalReason.MERGE_FAILED, 1L);
    CompletableFuture<Void> behind = b.submit("zzz");
    assertThat(b.flush()).succeedsWithin(PROMPTLY);
    assertThat(k1).succeedsWithin(Duration.ZERO);
    assertThat(behind).succeedsWithin(Duration.ZERO);
    assertThat(written).containsExactly("k1", "zzz");
    assertThat(b.close(CLOSE_LIMIT)).isTrue();
    assertSettled(b);
  }

  /**
   * The clock throws an Error on a producer's read. The Error must reach the submitter and leave
   * no claim behind: before the fix the clock was read after the claim, the slot was never
   * published nor cancelled, and every later item waited forever. The clock is now read before
   * the claim, so this checks that an Error there holds nothing up.
   */
  @Test
  @Timeout(30)
  void submit_clockThrowsAnError_errorReachesTheSubmitterAndLaterItemsFlow() throws Exception {
    ManualTimeSource clock = ManualTimeSource.realTime();
    AssertionError bug = new AssertionError("clock bug");
    Batcher<String> b = track(Batcher.builder((BatchSink<String>) batch -> BatchResult.success())
        .name("clockerror").timeSource(clock).build());
    CompletableFuture<Throwable> thrown = new CompletableFuture<>();
    Thread producer = thread("producer", () -> thrown.complete(errorOf(() -> b.submit("bad"))));
    clock.failNextRead(() -> Thread.currentThread() == producer, bug);
    producer.start();

    assertThat(thrown).succeedsWithin(PROMPTLY).isSameAs(bug);
    assertThat(b.submit("good")).succeedsWithin(PROMPTLY);
    assertThat(b.close(CLOSE_LIMIT)).isTrue();
    assertSettled(b);
  }

  /**
   * A producer waits for room on a full queue, gets its claim, and the clock throws an Error on
   * the read that stamps the item as accepted, after the claim. The claim must be given back and
   * the Error reach the submitter: before the fix that slot was never published nor cancelled,
   * and every later item waited forever.
   */
  @Test
  @Timeout(30)
  void submit_clockThrowsAfterWaitingForRoom_errorReachesTheSubmitterAndLaterItemsFlow()
      throws Exception {
    ManualTimeSource clock = ManualTimeSource.realTime();
    AssertionError bug = new AssertionError("clock bug");
    CountDownLatch inSink = new CountDownLatch(1);
    CountDownLatch sinkGo = new CountDownLatch(1);
    Batcher<String> b = track(Batcher.builder((BatchSink<String>) batch -> {
      inSink.countDown();
      sinkGo.await();
      return BatchResult.success();
    }).name("waiterror").queueCapacity(1).maxBatchSize(1).timeSource(clock).build());
    CompletableFuture<Void> x = b.submit("x");
    assertThat(inSink.await(5, SECONDS)).as("x is in the sink, holding the only room").isTrue();

    CompletableFuture<Throwable> thrown = new CompletableFuture<>();
    Thread producer = thread("producer", () -> thrown.complete(errorOf(() -> b.submit("y"))));
    AtomicBoolean waiting = new AtomicBoolean();
    clock.failNextRead(() -> {
      if (Thread.currentThread() != producer) {
        return false;
      }
      if (((DefaultBatcher<String>) b).room().waiting() > 0) {
        waiting.set(true); // reads while waiting for room pass
        return false;
      }
      return waiting.get(); // the first read after the wait
    }, bug);
    producer.start();
    await().atMost(PROMPTLY).untilTrue(waiting);
    sinkGo.countDown(); // x ends, its room goes to the waiting producer

    assertThat(thrown).succeedsWithin(PROMPTLY).isSameAs(bug);
    assertThat(x).succeedsWithin(PROMPTLY);
    await("the failed producer's claim is given back").atMost(PROMPTLY)
        .until(() -> b.metrics().queueDepth() == 0);
    assertThat(b.submit("z")).succeedsWithin(PROMPTLY);
    assertThat(b.close(CLOSE_LIMIT)).isTrue();
    assertSettled(b);
  }

  // ==================================================================================== support

  /**
   * A one-shot meeting point: the thread that passes it stops until the test opens it (or a
   * minute passes, so that nothing waits forever).
   */
  static final class Gate {
    private final CountDownLatch arrived = new CountDownLatch(1);
    private final CountDownLatch opened = new CountDownLatch(1);

    void pass() {
      arrived.countDown();
      try {
        opened.await(60, SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    void awaitArrival(String what) throws InterruptedException {
      assertThat(arrived.await(PROMPTLY.toSeconds(), SECONDS)).as(what).isTrue();
    }

    void open() {
      opened.countDown();
    }
  }

  /** Makes the batcher's threads (daemons) and remembers them. */
  static final class RecordingThreads implements ThreadFactory {
    private final List<Thread> made = new CopyOnWriteArrayList<>();

    @Override
    public Thread newThread(Runnable r) {
      Thread t = new Thread(r);
      t.setDaemon(true);
      made.add(t);
      return t;
    }

    /** The first worker; the batcher names its threads before it starts them. */
    Thread worker() {
      return made.stream().filter(t -> t.getName().endsWith("-flush-1")).findFirst()
          .orElseThrow();
    }
  }

  private Gate gate() {
    Gate g = new Gate();
    gates.add(g);
    return g;
  }

  private <T> Batcher<T> track(Batcher<T> b) {
    batchers.add(b);
    return b;
  }

  /**
   * Stops the former once, when {@code when} holds, in a forming round: past its abort and flush
   * checks, right before it reads the clock (the former's round probe).
   */
  private static void stopFormerOnce(Batcher<?> b, Gate gate, BooleanSupplier when) {
    AtomicBoolean stopped = new AtomicBoolean();
    ((DefaultBatcher<?>) b).former().probeEachRound(() -> {
      if (when.getAsBoolean() && stopped.compareAndSet(false, true)) {
        gate.pass();
      }
    });
  }

  private static Thread thread(String name, Runnable r) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  private static Thread start(String name, Runnable r) {
    Thread t = thread(name, r);
    t.start();
    return t;
  }

  /** Runs {@code r} and returns what it threw, or null. */
  private static Throwable errorOf(Runnable r) {
    try {
      r.run();
      return null;
    } catch (Throwable t) {
      return t;
    }
  }

  /** Waits until {@code t} blocks (in close(), waiting for the batcher to terminate). */
  private static void awaitBlocked(Thread t) {
    await().atMost(PROMPTLY).until(() -> t.getState() == Thread.State.WAITING
        || t.getState() == Thread.State.TIMED_WAITING);
  }

  private static void assertRefused(CompletableFuture<Void> f, RefusalReason reason) {
    assertThat(f).isCompletedExceptionally();
    Throwable failure = f.handle((v, t) -> t).join();
    assertThat(failure).isInstanceOfSatisfying(RejectedItemException.class,
        e -> assertThat(e.reason()).isEqualTo(reason));
  }

  /** Every item ended: nothing pending, queued or in flight. */
  private static void assertSettled(Batcher<?> b) {
    BatcherMetrics m = b.metrics();
    assertThat(m.pending()).as("pending").isZero();
    assertThat(m.queueDepth()).as("queueDepth").isZero();
    assertThat(m.inFlightBatches()).as("inFlightBatches").isZero();
  }
}
