package dev.batcher.jdbc.internal;

import java.sql.JDBCType;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLType;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * One column of a sink's table: its name as given, the name quoted for the dialect, its JDBC type
 * and how to read its value from an item.
 *
 * <p>Internal: not API, may change in any release.
 *
 * @param name the name as the user gave it
 * @param quoted the name quoted for the dialect
 * @param type the JDBC type values are bound as
 * @param value reads the column's value from an item; may return null
 */
public record Column<T>(String name, String quoted, SQLType type,
    Function<? super T, ? extends @Nullable Object> value) {

  /**
   * The value of this column for {@code item}, as every strategy sends it: for a {@code
   * TIMESTAMP_WITH_TIMEZONE} column a {@link Timestamp} or {@link LocalDateTime} is read in the
   * JVM's default time zone, as JDBC's {@code setTimestamp} reads it, and an {@link Instant} or
   * {@link ZonedDateTime} becomes the {@link OffsetDateTime} every driver binds; any other value
   * is as the value function returned it.
   */
  public @Nullable Object valueOf(T item) {
    Object v = value.apply(item);
    return type == JDBCType.TIMESTAMP_WITH_TIMEZONE && v != null ? withOffset(v) : v;
  }

  /** Binds this column's value for {@code item} to parameter {@code index} of {@code ps}. */
  public void bind(PreparedStatement ps, int index, T item) throws SQLException {
    bindValue(ps, index, valueOf(item));
  }

  private static Object withOffset(Object v) {
    if (v instanceof Timestamp t) {
      return OffsetDateTime.ofInstant(t.toInstant(), ZoneId.systemDefault());
    } else if (v instanceof LocalDateTime t) {
      return t.atZone(ZoneId.systemDefault()).toOffsetDateTime();
    } else if (v instanceof Instant t) {
      return OffsetDateTime.ofInstant(t, ZoneOffset.UTC);
    } else if (v instanceof ZonedDateTime t) {
      return t.toOffsetDateTime();
    }
    return v;
  }

  /** Binds {@code v}, a value of this column (or a sum of them), to parameter {@code index}. */
  public void bindValue(PreparedStatement ps, int index, @Nullable Object v) throws SQLException {
    Integer vendor = type.getVendorTypeNumber();
    if (v == null) {
      ps.setNull(index, vendor == null ? java.sql.Types.OTHER : vendor);
    } else if (vendor != null) {
      ps.setObject(index, v, vendor); // the int form: pgjdbc does not implement the SQLType one
    } else {
      ps.setObject(index, v, type);
    }
  }
}
