package dev.batcher.internal;

import org.slf4j.Logger;

/**
 * Log calls that never throw. Our lines carry user objects (items, ids, the listener) and the
 * sink's or a callback's exceptions; SLF4J guards an argument's {@code toString()}, but a backend
 * reads a logged exception's message and stack trace itself, and one whose {@code getMessage()}
 * throws would otherwise make the log call throw on a worker thread, in the middle of settling a
 * batch. If the call throws, the line is written again with every argument described by {@link
 * Describe} (a trailing exception by its description, without its stack trace); if that fails
 * too, nothing is left to tell. A {@link VirtualMachineError} is rethrown.
 *
 * <p>Internal: not API, may change in any release.
 */
final class SafeLog {
  private SafeLog() {}

  static void warn(Logger log, String format, Object... args) {
    try {
      log.warn(format, args);
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable logFailed) {
      try {
        log.warn(described(format, args), describedArgs(args));
      } catch (VirtualMachineError e) {
        throw e;
      } catch (Throwable ignored) {
        // The logging system itself fails: nothing is left to tell.
      }
    }
  }

  static void error(Logger log, String format, Object... args) {
    try {
      log.error(format, args);
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable logFailed) {
      try {
        log.error(described(format, args), describedArgs(args));
      } catch (VirtualMachineError e) {
        throw e;
      } catch (Throwable ignored) {
        // The logging system itself fails: nothing is left to tell.
      }
    }
  }

  /** The format, with a place for a trailing exception's description. */
  private static String described(String format, Object[] args) {
    return args.length > 0 && args[args.length - 1] instanceof Throwable ? format + ": {}" : format;
  }

  private static Object[] describedArgs(Object[] args) {
    Object[] out = new Object[args.length];
    for (int i = 0; i < args.length; i++) {
      out[i] = Describe.of(args[i]);
    }
    return out;
  }
}
