package dev.batcher.internal;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Captures what one logger (and the loggers below it) writes while the capture is open, so that a
 * test can assert on the lines it provokes. While open, the lines go to the capture and to the
 * test log file ({@code target/test.log}), not to the console: an error a test provokes on
 * purpose is asserted, not printed. Lines from any thread are captured (the batcher logs from its
 * workers, its monitor and the cleaner); give the batchers under test distinct names and look for
 * them, since other tests' batchers may still be logging.
 *
 * <pre>{@code
 * try (LogCapture log = LogCapture.of("dev.batcher")) {
 *   ...
 *   assertThat(log.lines(Level.WARN)).anyMatch(l -> l.startsWith("batcher 'x': "));
 * }
 * }</pre>
 *
 * <p>Its methods speak SLF4J's types, not logback's, so that the tests need only the SLF4J API.
 * It sits in this package, which the module does not export, because its signatures name types of
 * modules the batcher does not re-export.
 *
 * <p>Thread-safe.
 */
public final class LogCapture implements AutoCloseable {
  /** The logger the batcher's own lines go to. */
  public static final String BATCHER = "dev.batcher.internal.DefaultBatcher";

  private final Logger logger;
  private final boolean additive;
  private final Appender<ILoggingEvent> file;
  private final List<Line> captured = new CopyOnWriteArrayList<>();
  private final AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
    @Override
    protected void append(ILoggingEvent event) {
      captured.add(new Line(Level.valueOf(event.getLevel().toString()),
          event.getFormattedMessage(),
          event.getThrowableProxy() == null ? null : event.getThrowableProxy().getMessage()));
    }
  };

  /**
   * One captured line.
   *
   * @param level its level
   * @param message the formatted message
   * @param thrownMessage the message of the throwable logged with it, or null if none was
   */
  public record Line(Level level, String message, @Nullable String thrownMessage) {}

  private LogCapture(String name) {
    this.logger = (Logger) LoggerFactory.getLogger(name);
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    this.file = Objects.requireNonNull(root.getAppender("FILE"), "logback-test.xml's FILE");
    this.additive = logger.isAdditive();
    appender.setContext(logger.getLoggerContext());
    appender.setName("capture");
    appender.start();
    logger.addAppender(appender);
    logger.addAppender(file);
    logger.setAdditive(false);
  }

  /** Starts capturing what the logger {@code name}, and those below it, write. */
  public static LogCapture of(String name) {
    return new LogCapture(name);
  }

  /** The formatted messages captured so far at {@code level}, in order. */
  public List<String> lines(Level level) {
    return captured.stream()
        .filter(l -> l.level() == level)
        .map(Line::message)
        .collect(Collectors.toList());
  }

  /** The formatted messages captured so far at {@code level} that start with {@code prefix}. */
  public List<String> lines(Level level, String prefix) {
    return lines(level).stream().filter(l -> l.startsWith(prefix)).collect(Collectors.toList());
  }

  /** Every line captured so far, in order. */
  public List<Line> all() {
    return List.copyOf(captured);
  }

  @Override
  public void close() {
    logger.setAdditive(additive);
    logger.detachAppender(file);
    logger.detachAppender(appender);
    appender.stop();
  }
}
