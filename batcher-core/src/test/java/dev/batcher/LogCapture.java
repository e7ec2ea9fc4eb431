package dev.batcher;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.slf4j.LoggerFactory;

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
 * <p>Thread-safe.
 */
public final class LogCapture implements AutoCloseable {
  /** The logger the batcher's own lines go to. */
  public static final String BATCHER = "dev.batcher.internal.DefaultBatcher";

  private final Logger logger;
  private final boolean additive;
  private final Appender<ILoggingEvent> file;
  private final List<ILoggingEvent> events = new CopyOnWriteArrayList<>();
  private final AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
    @Override
    protected void append(ILoggingEvent event) {
      event.prepareForDeferredProcessing();
      events.add(event);
    }
  };

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
    return events.stream()
        .filter(e -> e.getLevel() == level)
        .map(ILoggingEvent::getFormattedMessage)
        .collect(Collectors.toList());
  }

  /** The formatted messages captured so far at {@code level} that start with {@code prefix}. */
  public List<String> lines(Level level, String prefix) {
    return lines(level).stream().filter(l -> l.startsWith(prefix)).collect(Collectors.toList());
  }

  /** The events captured so far, in order, with their levels, threads and throwables. */
  public List<ILoggingEvent> events() {
    return List.copyOf(events);
  }

  @Override
  public void close() {
    logger.setAdditive(additive);
    logger.detachAppender(file);
    logger.detachAppender(appender);
    appender.stop();
  }
}
