package dev.batcher.jdbc.internal;

import dev.batcher.BatchResult;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLDataException;
import java.sql.SQLException;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * {@code COPY} (PostgreSQL): {@code COPY t (a, b) FROM STDIN} through pgjdbc's {@code
 * CopyManager}, the fastest way into a table. The connection is unwrapped to pgjdbc's {@link
 * PGConnection} (it may be a pool's proxy). Counts one statement and two round trips (its start
 * and its end).
 *
 * <p><b>Streaming.</b> Rows are written in COPY's text format into a buffer that is sent each time
 * it passes {@link #BUFFER_CHARS} characters, so memory is one buffer plus the largest row, never
 * the batch: a 100,000-row batch and a 1 MiB text value cost the same buffer.
 *
 * <p><b>Escaping</b> is exact: backslash, tab, newline and carriage return are written {@code
 * \\}, {@code \t}, {@code \n}, {@code \r}; SQL NULL is {@code \N}; so the text {@code \N} is
 * {@code \\N} and a value {@code \.} survives (it is {@code \\.}, never the end-of-data marker).
 * Every other character, astral code points included, goes as UTF-8. Values take their
 * {@linkplain PgText text form}: {@code BigDecimal.toPlainString()}, {@code t}/{@code f}, ISO-8601
 * timestamps with their offset (microseconds kept), {@code \x} hex for bytea.
 *
 * <p><b>Pinpointing.</b> A row the server refuses is named by its line in the error's context
 * ({@code COPY t, line 42}): the item at index 41 is failed alone and the others are sent again.
 * Text PostgreSQL cannot store (a NUL, refused with 22021, or an unpaired surrogate) is found
 * while encoding and fails that item the same way, with SQLState 22021.
 *
 * <p>On any failure the COPY is cancelled, so the sink's rollback finds the connection usable (or
 * lost: then the sink aborts it).
 *
 * <p>Internal: not API, may change in any release.
 */
public final class CopyWriter<T> implements RowWriter<T> {
  /** Characters buffered before a write to the server: about 64 KiB of ASCII. */
  static final int BUFFER_CHARS = 64 * 1024;

  private static final Pattern LINE = Pattern.compile("\\bline (\\d+)");

  private final List<Column<T>> columns;
  private final String sql;
  private final String relation;

  /**
   * @throws IllegalStateException if pgjdbc is not on the class or module path
   */
  public CopyWriter(TableSpec<T> table) {
    try {
      PGConnection.class.getName(); // fail at build, not at the first batch
    } catch (LinkageError e) {
      throw new IllegalStateException("strategy COPY needs pgjdbc (org.postgresql:postgresql)"
          + " on the class or module path", e);
    }
    this.columns = table.columns();
    this.sql = "COPY " + table.quoted() + " (" + table.columnList() + ") FROM STDIN";
    String name = table.name();
    this.relation = name.substring(name.lastIndexOf('.') + 1);
  }

  /** The statement text. */
  public String sql() {
    return sql;
  }

  /** One COPY, whatever the batch. */
  @Override
  public boolean oneStatement(List<T> batch) {
    return true;
  }

  @Override
  public @Nullable BatchResult write(Connection c, List<T> batch, StatementCounts counts)
      throws SQLException {
    CopyIn in = c.unwrap(PGConnection.class).getCopyAPI().copyIn(sql);
    counts.sent(1);
    boolean done = false;
    try {
      StringBuilder buffer = new StringBuilder(BUFFER_CHARS + 256);
      for (int i = 0; i < batch.size(); i++) {
        appendRow(buffer, batch.get(i), i);
        if (buffer.length() >= BUFFER_CHARS) {
          send(in, buffer);
        }
      }
      send(in, buffer);
      in.endCopy();
      counts.roundTrip(); // the end of the data, answered with the row count
      done = true;
    } finally {
      if (!done) {
        cancel(in);
      }
    }
    return null;
  }

  private void appendRow(StringBuilder out, T item, int index) throws SQLException {
    for (int col = 0; col < columns.size(); col++) {
      if (col > 0) {
        out.append('\t');
      }
      Column<T> c = columns.get(col);
      Object v = c.valueOf(item);
      if (v == null) {
        out.append("\\N");
        continue;
      }
      String text = PgText.of(v);
      try {
        PgText.check(text, c.name());
      } catch (SQLDataException e) {
        throw new FailedItem(index, e);
      }
      escape(out, text);
    }
    out.append('\n');
  }

  /** Appends {@code text} escaped for COPY's text format. */
  static void escape(StringBuilder out, String text) {
    for (int i = 0; i < text.length(); i++) {
      char ch = text.charAt(i);
      switch (ch) {
        case '\\': out.append("\\\\"); break;
        case '\t': out.append("\\t"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        default: out.append(ch);
      }
    }
  }

  private static void send(CopyIn in, StringBuilder buffer) throws SQLException {
    if (buffer.length() == 0) {
      return;
    }
    // Whole rows only, so a surrogate pair is never split between two writes.
    byte[] bytes = buffer.toString().getBytes(StandardCharsets.UTF_8);
    buffer.setLength(0);
    in.writeToCopy(bytes, 0, bytes.length);
  }

  private static void cancel(CopyIn in) {
    try {
      if (in.isActive()) {
        in.cancelCopy();
      }
    } catch (SQLException | RuntimeException ignored) {
      // the connection is lost or the server already ended the COPY; the sink rolls back
    }
  }

  /**
   * The item the server named: {@code COPY t, line N} in the error's context is index N-1, if it
   * is in the batch; -1 otherwise.
   */
  @Override
  public int pinpoint(SQLException failure, List<T> batch) {
    for (Throwable t : SqlErrors.chain(failure)) {
      if (t instanceof PSQLException p) {
        ServerErrorMessage m = p.getServerErrorMessage();
        int line = m == null ? -1 : lineOf(m.getWhere(), relation);
        return line >= 1 && line <= batch.size() ? line - 1 : -1;
      }
    }
    return -1;
  }

  /** The line number in a context such as {@code COPY likes, line 42, column name: "x"}. */
  static int lineOf(@Nullable String where, String relation) {
    if (where == null) {
      return -1;
    }
    String prefix = "COPY " + relation + ", ";
    int at = where.indexOf(prefix);
    Matcher m = LINE.matcher(where);
    if (!(at >= 0 ? m.find(at + prefix.length() - 2) : m.find())) {
      return -1;
    }
    try {
      return Integer.parseInt(m.group(1));
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
