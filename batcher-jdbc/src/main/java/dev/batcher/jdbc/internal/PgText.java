package dev.batcher.jdbc.internal;

import java.math.BigDecimal;
import java.sql.SQLDataException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

/**
 * The PostgreSQL text input form of a Java value, as COPY's text format and UNNEST's text arrays
 * take it: {@link BigDecimal#toPlainString()} for numerics (no exponent, every digit kept), {@code
 * t}/{@code f} for booleans, ISO-8601 with the offset for {@link OffsetDateTime}, {@link
 * ZonedDateTime} and {@link Instant} (nanoseconds kept; the server rounds to microseconds), ISO
 * local forms for timestamps and dates, {@code \x} and hex for bytea, {@code toString()} for
 * everything else (integers, floats, UUIDs, text).
 *
 * <p>Internal: not API, may change in any release.
 */
final class PgText {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private PgText() {}

  /** The text form of {@code value} (not null). */
  static String of(Object value) {
    if (value instanceof String s) {
      return s;
    } else if (value instanceof BigDecimal d) {
      return d.toPlainString();
    } else if (value instanceof Boolean b) {
      return b ? "t" : "f";
    } else if (value instanceof OffsetDateTime t) {
      return DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(t);
    } else if (value instanceof ZonedDateTime t) {
      return DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(t.toOffsetDateTime());
    } else if (value instanceof Instant t) {
      return t.toString(); // ISO-8601 in UTC, with Z
    } else if (value instanceof LocalDateTime t) {
      return DateTimeFormatter.ISO_LOCAL_DATE_TIME.format(t);
    } else if (value instanceof java.sql.Timestamp t) {
      return DateTimeFormatter.ISO_LOCAL_DATE_TIME.format(t.toLocalDateTime());
    } else if (value instanceof java.sql.Date d) {
      return d.toLocalDate().toString();
    } else if (value instanceof LocalDate d) {
      return d.toString();
    } else if (value instanceof byte[] b) {
      return hex(b);
    }
    return value.toString();
  }

  /** {@code \x} followed by two lower-case hex digits per byte: bytea's hex input form. */
  static String hex(byte[] bytes) {
    char[] out = new char[2 + bytes.length * 2];
    out[0] = '\\';
    out[1] = 'x';
    for (int i = 0; i < bytes.length; i++) {
      out[2 + 2 * i] = HEX[(bytes[i] >> 4) & 0xF];
      out[3 + 2 * i] = HEX[bytes[i] & 0xF];
    }
    return new String(out);
  }

  /**
   * Checks that PostgreSQL can store {@code text}: no NUL character (it refuses one with 22021)
   * and no unpaired surrogate (which has no UTF-8 form, and would otherwise be replaced quietly).
   *
   * @throws SQLDataException with SQLState 22021 naming what is wrong and where
   */
  static void check(String text, String column) throws SQLDataException {
    for (int i = 0; i < text.length(); i++) {
      char ch = text.charAt(i);
      if (ch == '\0') {
        throw new SQLDataException("column " + column + ": text contains a NUL character (at "
            + i + "), which PostgreSQL cannot store", "22021");
      }
      if (Character.isSurrogate(ch)) {
        if (Character.isHighSurrogate(ch) && i + 1 < text.length()
            && Character.isLowSurrogate(text.charAt(i + 1))) {
          i++;
        } else {
          throw new SQLDataException("column " + column + ": text contains an unpaired surrogate"
              + " (at " + i + "), which has no UTF-8 form", "22021");
        }
      }
    }
  }
}
