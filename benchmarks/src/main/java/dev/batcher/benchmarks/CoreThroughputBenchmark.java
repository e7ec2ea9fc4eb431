package dev.batcher.benchmarks;

import dev.batcher.benchmarks.contenders.Contender;
import dev.batcher.benchmarks.contenders.Library;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * <b>Question:</b> how many items per second can producers push through the batcher, from
 * {@code submit} to the completion of each item's future, when the sink costs nothing; and how does
 * that compare with the libraries a Java team would pick instead, driven the same way?
 *
 * <p><b>Shape.</b> {@code producers} threads (platform, or virtual on JDK 21+) each keep a window
 * of {@code max(4 × batchSize, 1024)} outstanding items: before submitting an item a producer waits
 * for the completion of the one it submitted a window earlier. Every library gets the same batch
 * size, the same delay (see below) and the same bound ({@code producers × window}, at least 65,536,
 * blocking producers beyond it where the library can). One benchmark operation is a round of
 * {@value #ROUND} items split evenly between the producers, so the primary score is
 * <em>submitted</em> items per second; the counters say what happened to them, per second:
 * {@code delivered} (completion observed), {@code refused} (refused at submit), {@code failed}, and
 * {@code lost} (no completion within 10 s: a library that drops silently). Compare libraries by
 * {@code delivered}: a library that drops cannot look fast for it.
 *
 * <p><b>Delay.</b> {@code maxDelayMs=0} (the default) is natural batching for ours and for the
 * hand-written queue: the worker takes whatever is waiting when it is free. gax, Reactor and
 * OpenTelemetry have no such mode (zero is rejected, degenerate or a spinning worker), so they run
 * with their smallest sensible delay, 1 ms; at saturation their batches fill by size long before.
 * {@code -p maxDelayMs=1} puts everybody on 1 ms.
 *
 * <p><b>Libraries</b> ({@code library}): {@code batcher} (ours), {@code abq} (hand-written
 * {@code ArrayBlockingQueue} + {@code drainTo}), {@code gax} (gax-java {@code BatcherImpl}), {@code
 * reactor} ({@code Flux.bufferTimeout} over {@code Sinks.many()}), {@code otel} (the real
 * OpenTelemetry {@code BatchSpanProcessor} with a no-op exporter). See each contender's Javadoc in
 * {@code dev.batcher.benchmarks.contenders}.
 *
 * <p><b>Run</b> (defaults: 1 fork, 2 × 1 s warm-up, 3 × 1 s measurement, batch size 512, platform
 * threads: 20 cases, about 2.5 minutes on 2 cores). Forks run with {@code -XX:+AlwaysPreTouch}:
 * without it the first seconds of every fork measured the kernel's page faults on the first touch
 * of the 2 GB heap, for every library alike. The published runs use {@code -wi 3 -i 5} to narrow
 * the error:
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar CoreThroughput -rf json -rff throughput.json
 * java -jar benchmarks/target/benchmarks.jar CoreThroughput -p batchSize=64,512,4096   # full matrix
 * $JDK21/bin/java -jar benchmarks/target/benchmarks.jar CoreThroughput -p producerThreads=virtual
 * java -jar benchmarks/target/benchmarks.jar CoreThroughput -p library=batcher -p producers=2 -prof gc
 * java -jar benchmarks/target/benchmarks.jar CoreThroughput -f 3 -wi 5 -i 10 -r 2s      # longer
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Threads(1) // the JMH thread hands rounds to the producers; producers are set by the parameter
@State(Scope.Benchmark)
public class CoreThroughputBenchmark {
  /** Items per benchmark operation, across all producers. */
  static final int ROUND = 65_536;

  @Param({"batcher", "abq", "gax", "reactor", "otel"})
  public String library;

  @Param({"1", "2", "4", "8"})
  public int producers;

  @Param({"512"})
  public int batchSize;

  @Param({"0"})
  public int maxDelayMs;

  @Param({Producers.PLATFORM})
  public String producerThreads;

  private Contender contender;
  private Producers pool;
  private final Producers.Counts leftover = new Producers.Counts();

  @Setup(Level.Trial)
  public void setUp() {
    int window = Math.max(4 * batchSize, 1024);
    int capacity = Math.max(65_536, producers * window);
    if (ROUND % producers != 0) {
      throw new IllegalArgumentException("producers must divide " + ROUND + ": " + producers);
    }
    contender = Library.of(library).create(batchSize, Duration.ofMillis(maxDelayMs), capacity);
    pool = new Producers(contender, producerThreads, producers, window);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws InterruptedException {
    pool.drain(leftover);
    pool.close();
    contender.close();
    if (leftover.refused + leftover.failed + leftover.lost > 0) {
      System.out.printf("%n%s: at the end, %d refused, %d failed, %d lost%n", library,
          leftover.refused, leftover.failed, leftover.lost);
    }
  }

  /** What happened to the items, per second; JMH reports these beside the primary score. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  public static class Items {
    public long delivered;
    public long refused;
    public long failed;
    public long lost;
    final Producers.Counts counts = new Producers.Counts();

    @Setup(Level.Iteration)
    public void reset() {
      delivered = 0;
      refused = 0;
      failed = 0;
      lost = 0;
    }

    void publish() {
      delivered += counts.delivered;
      refused += counts.refused;
      failed += counts.failed;
      lost += counts.lost;
      counts.delivered = 0;
      counts.refused = 0;
      counts.failed = 0;
      counts.lost = 0;
    }
  }

  /** One round: every producer submits its share of {@value #ROUND} items. */
  @Benchmark
  @OperationsPerInvocation(ROUND)
  public void submitToCompletion(Items items) throws InterruptedException {
    pool.round(ROUND / producers, items.counts);
    items.publish();
  }
}
