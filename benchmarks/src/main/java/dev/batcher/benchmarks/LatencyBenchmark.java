package dev.batcher.benchmarks;

import dev.batcher.benchmarks.contenders.Contender;
import dev.batcher.benchmarks.contenders.Library;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * <b>Question:</b> how long does an item wait from {@code submit} to the completion of its future,
 * at the median and in the tail (p99, p99.9), when the load is light (about 1,000 items per second)
 * and when it is heavy; with natural batching ({@code maxDelayMs=0}) and with a 5 ms maxDelay;
 * ours against the peers?
 *
 * <p><b>Shape.</b> The JMH thread is a probe: once every millisecond (the pause is in a
 * per-invocation setup, outside the measured time) it submits one item and waits for its
 * completion, and JMH's {@code SampleTime} mode records each probe's time, which is the item's
 * enqueue-to-completion latency. With {@code load=low} the probes are the whole load: about 1,000
 * items/s. With {@code load=high} a background producer thread also offers {@code highRate}
 * items/s (default 1,000,000: about half of what ours sustains from one producer on the 2-core
 * machine the published results come from), paced every 50 µs, with a window of 65,536 outstanding
 * items; a library that cannot keep up slows that producer down, so its achieved rate is printed
 * at the end of each trial ("offered ... items/s") and lower than asked. Every library gets the
 * same batch size and delay; gax, Reactor and OpenTelemetry cannot run with a zero delay and use
 * 1 ms instead (see {@link CoreThroughputBenchmark}).
 *
 * <p><b>Run</b> (defaults: 1 fork, 2 × 1 s warm-up, 3 × 2 s measurement: about 6,000 probes per
 * case, so p99.9 rests on about 6 samples; 20 cases, about 3.5 minutes on 2 cores):
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar Latency -rf json -rff latency.json
 * java -jar benchmarks/target/benchmarks.jar Latency -p library=batcher,abq -p load=low
 * java -jar benchmarks/target/benchmarks.jar Latency -p highRate=500000 -i 10 -r 5s   # longer
 * </pre>
 * The percentiles are in the JSON's {@code primaryMetric.scorePercentiles}, in microseconds.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Threads(1)
@State(Scope.Benchmark)
public class LatencyBenchmark {
  private static final long PROBE_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
  private static final Long PROBE = 1_000L;

  @Param({"batcher", "abq", "gax", "reactor", "otel"})
  public String library;

  @Param({"low", "high"})
  public String load;

  @Param({"0", "5"})
  public int maxDelayMs;

  @Param({"512"})
  public int batchSize;

  @Param({"1000000"})
  public long highRate;

  private Contender contender;
  private Background background;
  private long nextProbe;
  private long probesNotDelivered;

  @Setup(Level.Trial)
  public void setUp() {
    contender = Library.of(library).create(batchSize, Duration.ofMillis(maxDelayMs), 2 * 65_536);
    if ("high".equals(load)) {
      background = new Background(contender, highRate);
      background.start();
    } else if (!"low".equals(load)) {
      throw new IllegalArgumentException("load must be low or high: " + load);
    }
    nextProbe = System.nanoTime();
  }

  /** Paces the probes at one per millisecond; runs outside the measured time. */
  @Setup(Level.Invocation)
  public void pace() {
    nextProbe += PROBE_INTERVAL_NANOS;
    long wait = nextProbe - System.nanoTime();
    if (wait > 0) {
      LockSupport.parkNanos(wait);
    } else {
      nextProbe = System.nanoTime(); // fell behind: do not burst to catch up
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws InterruptedException {
    if (background != null) {
      background.stopAndReport(library);
    }
    contender.close();
    if (probesNotDelivered > 0) {
      System.out.printf("%n%s: %d probes were not delivered%n", library, probesNotDelivered);
    }
  }

  /** One probe: submit an item and wait for its completion. */
  @Benchmark
  public int enqueueToCompletion() {
    int outcome = contender.await(contender.submit(PROBE));
    if (outcome != Contender.DELIVERED) {
      probesNotDelivered++;
    }
    return outcome;
  }

  /** The background load: one producer thread at a fixed rate, with a window of outstanding items. */
  private static final class Background extends Thread {
    private static final int WINDOW = 65_536;
    private static final long TICK_NANOS = TimeUnit.MICROSECONDS.toNanos(50);
    private static final Long ITEM = 4_242L;

    private final Contender contender;
    private final long rate;
    private final Object[] ring = new Object[WINDOW];
    private final Producers.Counts counts = new Producers.Counts();
    private volatile boolean running = true;
    private long sent;
    private long elapsedNanos;

    Background(Contender contender, long rate) {
      super("background-load");
      setDaemon(true);
      this.contender = contender;
      this.rate = rate;
    }

    @Override
    public void run() {
      long start = System.nanoTime();
      int i = 0;
      while (running) {
        long now = System.nanoTime();
        long due = (long) ((now - start) * (rate / 1e9));
        long burst = Math.min(due - sent, 8_192);
        if (burst <= 0) {
          LockSupport.parkNanos(TICK_NANOS);
          continue;
        }
        for (long k = 0; k < burst; k++) {
          Object oldest = ring[i];
          if (oldest != null) {
            counts.add(contender.await(oldest));
          }
          ring[i] = contender.submit(ITEM);
          i = (i + 1) & (WINDOW - 1);
        }
        sent += burst;
      }
      elapsedNanos = System.nanoTime() - start;
      for (Object h : ring) {
        if (h != null) {
          counts.add(contender.await(h));
        }
      }
    }

    void stopAndReport(String library) throws InterruptedException {
      running = false;
      join();
      System.out.printf("%n%s: offered %.0f items/s in the background (asked %d): %d delivered,"
              + " %d refused, %d failed, %d lost%n", library, sent * 1e9 / elapsedNanos, rate,
          counts.delivered, counts.refused, counts.failed, counts.lost);
    }
  }
}
