package dev.batcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.batcher.internal.LogCapture;
import dev.batcher.testing.RecordingSink;
import java.io.File;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/**
 * A batcher its owner never closes is reported once: when it is garbage-collected (and then
 * closed, so its items are still written and its threads end), or when the JVM exits with it
 * still open and items pending (tested in a JVM of its own, {@link LeftOpenAtExit}).
 */
class UnclosedBatcherTest {

  @Test
  void garbageCollectedWithItemsPending_isReportedOnce_andClosedSoTheyAreStillWritten() {
    RecordingSink<Integer> sink = RecordingSink.gated();
    try (LogCapture log = LogCapture.of(LogCapture.BATCHER)) {
      abandon(sink, "leaky-gc", 3);
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        System.gc();
        return !log.lines(Level.WARN, "batcher 'leaky-gc'").isEmpty();
      });
      sink.openForever();
      await().until(() -> sink.allItems().size() == 3);
      await().until(() -> threadsOf("leaky-gc").isEmpty());
      assertThat(log.lines(Level.WARN, "batcher 'leaky-gc'")).containsExactly("batcher 'leaky-gc' "
          + "was garbage-collected without close() with 3 item(s) pending; closing it now, so "
          + "that they are still written");
      assertThat(sink.allItems()).containsExactlyInAnyOrder(0, 1, 2);
    }
  }

  @Test
  void garbageCollectedIdle_isClosedQuietly_andClosedOnesAreNeverReported() {
    try (LogCapture log = LogCapture.of(LogCapture.BATCHER)) {
      try (Batcher<Integer> closed =
          Batcher.builder(new RecordingSink<Integer>()).name("closed-gc").build()) {
        closed.submit(1);
      }
      abandon(new RecordingSink<>(), "idle-gc", 0);
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        System.gc();
        return threadsOf("idle-gc").isEmpty();
      });
      assertThat(log.all()).filteredOn(e -> e.message().contains("-gc'"))
          .isEmpty();
    }
  }

  /** Starts a batcher, submits {@code items} items and drops every reference to it. */
  private static void abandon(RecordingSink<Integer> sink, String name, int items) {
    Batcher<Integer> b = Batcher.builder(sink).name(name).maxDelay(Duration.ZERO).build();
    for (int i = 0; i < items; i++) {
      b.submit(i);
    }
    await().until(() -> items == 0 || b.metrics().inFlightBatches() == 1);
  }

  private static Set<String> threadsOf(String batcher) {
    return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
        .map(Thread::getName).filter(n -> n.startsWith("batcher-" + batcher + "-"))
        .collect(Collectors.toSet());
  }

  @Test
  void leftOpenAtJvmExitWithItemsPending_isReported_closedAndIdleOnesAreNot() throws Exception {
    Path config = Path.of(UnclosedBatcherTest.class.getResource("/exit-check-logback.xml").toURI());
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Dlogback.configurationFile=" + config,
        "-cp", testClassPath(),
        LeftOpenAtExit.class.getName()));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the JVM exits").isTrue();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(output).isZero();
    assertThat(output.lines().filter(l -> l.contains("batcher '"))).containsExactly(
        "WARN dev.batcher.internal.DefaultBatcher - batcher 'left-open' was still open at JVM "
            + "exit with 3 item(s) pending; they are lost unless it is closed before the JVM "
            + "exits");
  }

  /**
   * The class path for a plain JVM: this module's classes and test classes, and the libraries
   * the tests run with, whether surefire put them on the module path or the class path.
   */
  private static String testClassPath() throws URISyntaxException {
    Set<String> entries = new LinkedHashSet<>();
    entries.add(rootOf(LeftOpenAtExit.class)); // target/test-classes
    entries.add(rootOf(Batcher.class)); // target/classes
    for (String property : List.of("jdk.module.path", "java.class.path")) {
      String value = System.getProperty(property);
      if (value != null && !value.isEmpty()) {
        entries.addAll(List.of(value.split(File.pathSeparator)));
      }
    }
    return String.join(File.pathSeparator, entries);
  }

  /** The directory {@code c} was loaded from (test classes patched into a module included). */
  private static String rootOf(Class<?> c) throws URISyntaxException {
    Path file = Path.of(c.getResource(c.getSimpleName() + ".class").toURI());
    Path root = file.getParent();
    for (int i = 0; i < c.getPackageName().split("\\.").length; i++) {
      root = root.getParent();
    }
    return root.toString();
  }
}
