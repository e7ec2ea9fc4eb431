package dev.batcher.jdbc.internal;

import dev.batcher.jdbc.Dialect;
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
import java.util.function.IntUnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * How rows travel to PostgreSQL as one array per column, for {@code unnest(?::bigint[],
 * ?::text[], ...)}: the array element type of each column, the {@code unnest(...)} text, and the
 * binding of a list of rows. Used by {@link UnnestWriter} and, on PostgreSQL, by the keyed
 * writers, so a statement's text is the same whatever the number of rows.
 *
 * <p>Column types map to array element types: BIGINT bigint, INTEGER integer, SMALLINT/TINYINT
 * smallint, CHAR/VARCHAR/LONGVARCHAR/NCHAR/NVARCHAR/LONGNVARCHAR text, NUMERIC/DECIMAL numeric,
 * BOOLEAN/BIT boolean, DOUBLE float8, REAL/FLOAT float4, TIMESTAMP timestamp,
 * TIMESTAMP_WITH_TIMEZONE timestamptz, DATE date, BINARY/VARBINARY/LONGVARBINARY bytea, OTHER uuid
 * (its values must be {@link UUID}s). Text is sent as text, bytea as binary, a bigint, integer,
 * float8 or boolean column whose values all are Java values of that type as such an array (binary
 * on the wire), every other value in its {@linkplain PgText text form}, which the server converts exactly (a 30-digit numeric keeps
 * every digit). A text value PostgreSQL cannot store (a NUL, an unpaired surrogate) is found
 * before sending: {@link FailedItem} with the row's index, SQLState 22021.
 *
 * <p>Internal: not API, may change in any release. Immutable and thread-safe.
 */
final class UnnestArrays {
  /** How one column travels: the SQL name of its element type and the array's Java form. */
  enum Element {
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

  private final List<? extends Column<?>> columns;
  private final Element[] elements;

  /**
   * @throws IllegalArgumentException if a column's type has no array element type here, naming
   *     the column and the type
   */
  UnnestArrays(List<? extends Column<?>> columns) {
    this.columns = List.copyOf(columns);
    this.elements = new Element[columns.size()];
    for (int i = 0; i < elements.length; i++) {
      Element e = elementOf(columns.get(i).type());
      if (e == null) {
        Column<?> c = columns.get(i);
        throw new IllegalArgumentException("column '" + c.name() + "' has type "
            + c.type().getName() + ", which UNNEST cannot send as an array; use BIGINT, INTEGER,"
            + " SMALLINT, VARCHAR, NUMERIC, BOOLEAN, DOUBLE, REAL, TIMESTAMP,"
            + " TIMESTAMP_WITH_TIMEZONE, DATE, VARBINARY or OTHER (UUID), or another strategy");
      }
      elements[i] = e;
    }
  }

  /**
   * The arrays of {@code table}'s columns when a keyed writer may send its rows as arrays:
   * PostgreSQL, every type {@linkplain #certainFor certain}, and no byte budget (one set on
   * PostgreSQL asks for multi-row chunks); null otherwise.
   */
  static @Nullable UnnestArrays forKeyed(TableSpec<?> table, long maxStatementBytes) {
    return table.dialect() == Dialect.POSTGRESQL && maxStatementBytes == Long.MAX_VALUE
        && certainFor(table.columns()) ? new UnnestArrays(table.columns()) : null;
  }

  /**
   * Runs {@code sql} (whose parameters are this {@link #unnestCall()}) with {@code rows} bound:
   * one statement, counted.
   *
   * @param itemOf the index in the batch of the item of a row, for a value that cannot be sent
   * @throws FailedItem naming that item, before anything is sent
   */
  void execute(Connection c, String sql, List<@Nullable Object[]> rows, StatementCounts counts,
      IntUnaryOperator itemOf) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      List<Array> bound;
      try {
        bound = bind(c, ps, rows);
      } catch (FailedItem f) {
        int item = itemOf.applyAsInt(f.index());
        throw item == f.index() ? f : new FailedItem(item, (SQLException) f.getCause());
      }
      try {
        counts.sent(1);
        ps.executeUpdate();
      } finally {
        free(bound);
      }
    }
  }

  /**
   * Whether every column has an element type that is certain: any type above but OTHER, which
   * is uuid here and may be anything else (jsonb, an enum) to a user who chose another strategy.
   */
  static boolean certainFor(List<? extends Column<?>> columns) {
    for (Column<?> c : columns) {
      Element e = elementOf(c.type());
      if (e == null || e == Element.UUID) {
        return false;
      }
    }
    return true;
  }

  private static @Nullable Element elementOf(SQLType type) {
    if (!(type instanceof JDBCType j)) {
      return null;
    }
    return switch (j) {
      case BIGINT -> Element.BIGINT;
      case INTEGER -> Element.INTEGER;
      case SMALLINT, TINYINT -> Element.SMALLINT;
      case CHAR, VARCHAR, LONGVARCHAR, NCHAR, NVARCHAR, LONGNVARCHAR -> Element.TEXT;
      case NUMERIC, DECIMAL -> Element.NUMERIC;
      case BOOLEAN, BIT -> Element.BOOLEAN;
      case DOUBLE -> Element.FLOAT8;
      case REAL, FLOAT -> Element.FLOAT4;
      case TIMESTAMP -> Element.TIMESTAMP;
      case TIMESTAMP_WITH_TIMEZONE -> Element.TIMESTAMPTZ;
      case DATE -> Element.DATE;
      case BINARY, VARBINARY, LONGVARBINARY -> Element.BYTEA;
      case OTHER -> Element.UUID;
      default -> null;
    };
  }

  /** {@code unnest(?::bigint[], ?::text[])}: one array parameter per column. */
  String unnestCall() {
    StringJoiner arrays = new StringJoiner(", ", "unnest(", ")");
    for (Element e : elements) {
      arrays.add("?::" + e.sql + "[]");
    }
    return arrays.toString();
  }

  /**
   * Binds {@code rows} (one value per column each, in column order) as parameters 1..n of {@code
   * ps}, one array per column.
   *
   * @return the arrays bound, for {@link #free} after the statement ran
   * @throws FailedItem naming the index in {@code rows} of a value that cannot be sent
   */
  List<Array> bind(Connection c, PreparedStatement ps, List<@Nullable Object[]> rows)
      throws SQLException {
    List<Array> arrays = new ArrayList<>(elements.length);
    boolean done = false;
    try {
      for (int col = 0; col < elements.length; col++) {
        Array a = c.createArrayOf(elements[col].typname, values(col, rows));
        arrays.add(a);
        ps.setArray(col + 1, a);
      }
      done = true;
      return arrays;
    } finally {
      if (!done) {
        free(arrays);
      }
    }
  }

  /** Releases the driver's copies of the arrays. */
  static void free(List<Array> arrays) {
    for (Array a : arrays) {
      try {
        a.free();
      } catch (SQLException | RuntimeException ignored) {
        // nothing to release on the server; the driver's copy goes with the statement
      }
    }
  }

  /**
   * Column {@code col} of every row, as the array's elements: the element type's own Java values
   * when every value already is one ({@link #typed}), otherwise text, byte[] or a text form.
   */
  private Object[] values(int col, List<@Nullable Object[]> rows) throws SQLException {
    Element e = elements[col];
    Object[] typed = typed(e, col, rows);
    if (typed != null) {
      return typed;
    }
    Column<?> c = columns.get(col);
    Object[] out = e == Element.BYTEA ? new byte[rows.size()][] : new String[rows.size()];
    for (int i = 0; i < rows.size(); i++) {
      Object v = rows.get(i)[col];
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

  /**
   * Column {@code col} as a {@code Long[]}, {@code Integer[]}, {@code Double[]} or {@code
   * Boolean[]} when its element type is bigint, integer, float8 or boolean and every value is of
   * that Java type already (whole numbers of a narrower type widen exactly): pgjdbc sends such an
   * array in binary, which neither side has to format or parse. Null when any value is not (a
   * {@code BigInteger}, a {@code Float} for float8, a {@code String}): then every value goes in
   * its text form, which the server converts exactly, as before.
   */
  private static @Nullable Object @Nullable [] typed(Element e, int col,
      List<@Nullable Object[]> rows) {
    int n = rows.size();
    @Nullable Object[] out;
    switch (e) {
      case BIGINT -> out = new Long[n];
      case INTEGER -> out = new Integer[n];
      case FLOAT8 -> out = new Double[n];
      case BOOLEAN -> out = new Boolean[n];
      default -> {
        return null;
      }
    }
    for (int i = 0; i < n; i++) {
      Object v = rows.get(i)[col];
      if (v == null) {
        continue;
      }
      Object t = switch (e) {
        case BIGINT -> v instanceof Long || v instanceof Integer || v instanceof Short
            || v instanceof Byte ? (Object) ((Number) v).longValue() : null;
        case INTEGER -> v instanceof Integer || v instanceof Short || v instanceof Byte
            ? (Object) ((Number) v).intValue() : null;
        case FLOAT8 -> v instanceof Double ? v : null;
        case BOOLEAN -> v instanceof Boolean ? v : null;
        default -> null;
      };
      if (t == null) {
        return null;
      }
      out[i] = t;
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
}
