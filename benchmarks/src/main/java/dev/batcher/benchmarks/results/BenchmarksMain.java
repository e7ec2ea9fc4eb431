package dev.batcher.benchmarks.results;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Defaults;
import org.openjdk.jmh.runner.NoBenchmarksException;
import org.openjdk.jmh.runner.ProfilersFailedException;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.VerboseMode;
import org.openjdk.jmh.util.Utils;

/**
 * The benchmark jar's entry point: JMH's own command line, then a short summary. Every option of
 * {@code org.openjdk.jmh.Main} is parsed by JMH's {@link CommandLineOptions} and passed through
 * unchanged, and the help and listing options ({@code -h}, {@code -l}, {@code -lp}, {@code
 * -lprof}, {@code -lrf}), the errors and the exit codes are JMH's. After a run, and after JMH's
 * own output, it prints a {@link RunSummary}: ours against each peer as one ratio per peer, and how
 * busy the machine was ({@link RunConditions}): the share of the CPU time other processes used in
 * the {@code 1.5 s} it waits before starting and during the run, and the load average before and
 * after, with a warning when other work competed for the cores. The summary goes where JMH's output went ({@code -o FILE} appends it there)
 * and is left out with {@code -v SILENT}. One difference from JMH: with no benchmark named, it
 * runs the core suites ({@value #CORE_SUITES}), not the JDBC suites, which need PostgreSQL and
 * run when named.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar CoreThroughput -p library=batcher,abq
 * </pre>
 */
public final class BenchmarksMain {
  /** What runs when no benchmark is named: the core suites, not the JDBC ones. */
  static final String CORE_SUITES = "CoreThroughputBenchmark|LatencyBenchmark";

  private BenchmarksMain() {}

  public static void main(String[] args) throws IOException {
    int status = run(args, MachineProbe.system());
    if (status != 0) {
      System.exit(status);
    }
  }

  /**
   * Does what {@code org.openjdk.jmh.Main} does with {@code args}, then prints the summary; returns
   * the exit status (JMH's: 0, or 1 after an error it has reported on standard error).
   *
   * @param probe reads how busy the machine is, before the run (twice, {@link
   *     RunConditions#QUIET_SAMPLE} apart) and after it
   */
  static int run(String[] args, MachineProbe probe) throws IOException {
    try {
      CommandLineOptions options = new CommandLineOptions(args);
      Runner runner = new Runner(options);
      if (options.shouldHelp()) {
        options.showHelp();
        return 0;
      }
      if (options.shouldList()) {
        runner.list();
        return 0;
      }
      if (options.shouldListWithParams()) {
        runner.listWithParams(options);
        return 0;
      }
      if (options.shouldListProfilers()) {
        options.listProfilers();
        return 0;
      }
      if (options.shouldListResultFormats()) {
        options.listResultFormats();
        return 0;
      }
      if (options.getIncludes().isEmpty()) {
        System.out.println("# No benchmark named: running the core suites (" + CORE_SUITES
            + "); name JdbcWrite or Counter to run the JDBC suites, RedisWrite the Redis one.");
        runner = new Runner(withDefaultSuites(options));
      }
      return runAndSummarize(options, runner, probe);
    } catch (CommandLineOptionException e) {
      System.err.println("Error parsing command line:");
      System.err.println(" " + e.getMessage());
      return 1;
    }
  }

  /**
   * {@code options}, running the core suites if no benchmark is named: the README's main command.
   * The JDBC suites need databases and half an hour; they run when named ({@code JdbcWrite},
   * {@code Counter}) or through {@code run-jdbc.sh}. The Redis suite needs Redis; it runs when
   * named ({@code RedisWrite}) or through {@code run-redis.sh}.
   */
  static Options withDefaultSuites(Options options) {
    return options.getIncludes().isEmpty()
        ? new OptionsBuilder().parent(options).include(CORE_SUITES).build() : options;
  }

  private static int runAndSummarize(CommandLineOptions options, Runner runner,
      MachineProbe probe) throws IOException {
    boolean silent = options.verbosity().orElse(Defaults.VERBOSITY) == VerboseMode.SILENT;
    LoadAverage loadBefore = probe.loadAverage();
    // what other processes do just before the run: a build that has just ended does not count
    Optional<CpuTimes> quietFrom = silent ? Optional.empty() : probe.cpuTimes();
    Optional<CpuTimes> runFrom = Optional.empty();
    if (quietFrom.isPresent()) {
      try {
        probe.pause(RunConditions.QUIET_SAMPLE);
        runFrom = probe.cpuTimes();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt(); // JMH will see it; the summary goes without CPU times
      }
    }
    Collection<RunResult> results;
    try {
      results = runner.run();
    } catch (NoBenchmarksException e) {
      System.err.println("No matching benchmarks. Miss-spelled regexp?");
      if (options.verbosity().orElse(Defaults.VERBOSITY) != VerboseMode.EXTRA) {
        System.err.println("Use " + VerboseMode.EXTRA
            + " verbose mode to debug the pattern matching.");
      } else {
        runner.list();
      }
      return 1;
    } catch (ProfilersFailedException e) {
      // as JMH: not exactly an error, but a non-zero exit
      for (Throwable t = e; t != null; t = t.getCause()) {
        System.err.println(t.getMessage());
        for (Throwable s : t.getSuppressed()) {
          System.err.println(s.getMessage());
        }
      }
      return 1;
    } catch (RunnerException e) {
      System.err.print("ERROR: ");
      e.printStackTrace(System.err);
      return 1;
    }
    if (silent) {
      return 0;
    }
    Optional<CpuTimes> runTo = runFrom.isPresent() ? probe.cpuTimes() : Optional.empty();
    RunConditions machine = new RunConditions(Runtime.getRuntime().availableProcessors(),
        loadBefore, probe.loadAverage(), RunConditions.QUIET_SAMPLE,
        othersShare(quietFrom, runFrom), othersShare(runFrom, runTo));
    List<JmhRecord> records = new ArrayList<>();
    results.forEach(r -> records.add(JmhRecord.of(r)));
    print(options, RunSummary.lines(records, machine));
    return 0;
  }

  private static double othersShare(Optional<CpuTimes> from, Optional<CpuTimes> to) {
    return from.isPresent() && to.isPresent() ? from.get().othersShareUntil(to.get())
        : Double.NaN;
  }

  /** Appends the lines to JMH's output: the {@code -o} file, or standard output. */
  private static void print(CommandLineOptions options, List<String> lines) throws IOException {
    if (options.getOutput().hasValue()) {
      // JMH closed the file at the end of the run; its PrintStream used the default charset
      try (PrintStream out = new PrintStream(
          new FileOutputStream(options.getOutput().get(), true), true, Charset.defaultCharset())) {
        write(out, lines);
      }
    } else {
      // JMH writes to System.out in the console's encoding; so does the summary (not closed)
      PrintStream out = new PrintStream(System.out, true, Utils.guessConsoleEncoding());
      write(out, lines);
      out.flush();
    }
  }

  private static void write(PrintStream out, List<String> lines) {
    out.println();
    lines.forEach(out::println);
  }
}
