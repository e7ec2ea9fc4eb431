package dev.batcher.jdbc.internal;

import java.sql.Array;
import java.sql.Connection;
import java.sql.JDBCType;
import java.sql.PreparedStatement;
import java.sql.SQLDataException;
import java.sql.SQLException;
import java.sql.SQLType;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import dev.batcher.BatchResult;

/**
 * {@code UNNEST} (PostgreSQL): the whole batch in one statement whose text is the same whatever
 * the batch size, {@code INSERT INTO t (a, b) SELECT * FROM unnest(?::bigint[], ?::text[])}, with
 * one array bound per column ({@link Connection#createArrayOf}). The server parses and plans it
 * once per connection; there is no bind-parameter limit to chunk around. Counts one statement.
 *
 * <p>Column types map to array element types: BIGINT bigint, INTEGER integer, SMALLINT smallint,
 * CHAR/VARCHAR/LONGVARCHAR/NCHAR/NVARCHAR/LONGNVARCHAR text, NUMERIC/DECIMAL numeric, BOOLEAN/BIT
 * boolean, DOUBLE float8, REAL/FLOAT float4, TIMESTAMP timestamp, TIMESTAMP_WITH_TIMEZONE
 * timestamptz, DATE date, BINARY/VARBINARY/LONGVARBINARY bytea, OTHER uuid (its values must be
 * {@link UUID}s). Any other type is refused when the sink is built. Text is sent as text, bytea
 * as binary, every other value in its {@linkplain PgText text form}, which the server converts
 * exactly (a 30-digit numeric keeps every digit).
 *
 * <p>One statement cannot say which row broke it: a data or constraint error leaves the batch to
 * the batcher to split. A text value PostgreSQL cannot store (a NUL, an unpaired surrogate) is
 * found before sending and fails that item alone ({@link FailedItem}, SQLState 22021).
 *
 * <p>Internal: not API, may change in any release.
 */
public final class UnnestWriter<T> implements RowWriter<T> {
  /** How one column travels: the SQL name of its element type and the array's Java form. */
  private enum Element {
    BIGINT("bigint", "int8"), INTEGER("integer", "int4"), SMALLINT("smallint", "int2"),
    TEXT("text", "text"), NUMERIC("numeric", "numeric"), BOOLEAN("boolean", "bool"),
    FLOAT8("float8", "float8"), FLOAT4("float4", "float4"), TIMESTAMP("timestamp", "timestamp"),
    TIMESTAMPTZ("timestamptz", "timestamptz"), DATE("date", "date"), BYTEA("bytea", "bytea"),
    UUID("uuid", "uuid");

    final String sql;
    final String typname;

    Element(String sql, String typname) {
      this.sql = sql;
      this.typname = typname;
    }
  }

  private final List<Column<T>> columns;
  private final Element[] elements;
  private final String sql;

  /**
   * @throws IllegalArgumentException if a column's type has no array element type here, naming
   *     the column and the type
   */
  public UnnestWriter(TableSpec<T> table) {
    this.columns = table.columns();
    this.elements = new Element[columns.size()];
    StringJoiner arrays = new StringJoiner(", ", "unnest(", ")");
    for (int i = 0; i < columns.size(); i++) {
      Column<T> c = columns.get(i);
      elements[i] = elementOf(c);
      arrays.add("?::" + elements[i].sql + "[]");
    }
    this.sql = "INSERT INTO " + table.quoted() + " (" + table.columnList() + ") SELECT * FROM "
        + arrays;
  }

  /** The statement text, the same for every batch. */
  public String sql() {
    return sql;
  }

  private static Element elementOf(Column<?> c) {
    SQLType type = c.type();
    if (type instanceof JDBCType j) {
      switch (j) {
        case BIGINT: return Element.BIGINT;
        case INTEGER: return Element.INTEGER;
        case SMALLINT: case TINYINT: return Element.SMALLINT;
        case CHAR: case VARCHAR: case LONGVARCHAR: case NCHAR: case NVARCHAR: case LONGNVARCHAR:
          return Element.TEXT;
        case NUMERIC: case DECIMAL: return Element.NUMERIC;
        case BOOLEAN: case BIT: return Element.BOOLEAN;
        case DOUBLE: return Element.FLOAT8;
        case REAL: case FLOAT: return Element.FLOAT4;
        case TIMESTAMP: return Element.TIMESTAMP;
        case TIMESTAMP_WITH_TIMEZONE: return Element.TIMESTAMPTZ;
        case DATE: return Element.DATE;
        case BINARY: case VARBINARY: case LONGVARBINARY: return Element.BYTEA;
        case OTHER: return Element.UUID;
        default: break;
      }
    }
    throw new IllegalArgumentException("column '" + c.name() + "' has type " + type.getName()
        + ", which UNNEST cannot send as an array; use BIGINT, INTEGER, SMALLINT, VARCHAR, NUMERIC,"
        + " BOOLEAN, DOUBLE, REAL, TIMESTAMP, TIMESTAMP_WITH_TIMEZONE, DATE, VARBINARY or OTHER"
        + " (UUID), or another strategy");
  }

  @Override
  public @Nullable BatchResult write(Connection c, List<T> batch, StatementCounts counts)
      throws SQLException {
    List<Array> arrays = new ArrayList<>(columns.size());
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int col = 0; col < columns.size(); col++) {
        Array a = c.createArrayOf(elements[col].typname, values(col, batch));
        arrays.add(a);
        ps.setArray(col + 1, a);
      }
      counts.sent(1);
      ps.executeUpdate();
    } finally {
      for (Array a : arrays) {
        free(a);
      }
    }
    return null;
  }

  /** Column {@code col} of every item, as the array's elements: text, byte[] or a text form. */
  private Object[] values(int col, List<T> batch) throws SQLException {
    Column<T> c = columns.get(col);
    Element e = elements[col];
    Object[] out = e == Element.BYTEA ? new byte[batch.size()][] : new String[batch.size()];
    for (int i = 0; i < batch.size(); i++) {
      Object v = c.valueOf(batch.get(i));
      if (v == null) {
        continue;
      }
      try {
        out[i] = element(c, e, v);
      } catch (SQLException x) {
        throw new FailedItem(i, x);
      }
    }
    return out;
  }

  private static Object element(Column<?> c, Element e, Object v) throws SQLException {
    if (e == Element.BYTEA) {
      if (v instanceof byte[] b) {
        return b;
      }
      throw new SQLDataException("column " + c.name() + " is bytea and takes byte[], not "
          + v.getClass().getName(), "22023");
    }
    if (e == Element.UUID && !(v instanceof UUID)) {
      throw new SQLDataException("column " + c.name() + " (OTHER) is sent as uuid and takes"
          + " java.util.UUID, not " + v.getClass().getName(), "22023");
    }
    String s = PgText.of(v);
    if (e == Element.TEXT) {
      PgText.check(s, c.name());
    }
    return s;
  }

  private static void free(Array a) {
    try {
      a.free();
    } catch (SQLException | RuntimeException ignored) {
      // nothing to release on the server; the driver's copy goes with the statement
    }
  }
}
