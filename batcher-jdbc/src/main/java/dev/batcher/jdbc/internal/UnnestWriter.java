package dev.batcher.jdbc.internal;

import dev.batcher.BatchResult;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * {@code UNNEST} (PostgreSQL): the whole batch in one statement whose text is the same whatever
 * the batch size, {@code INSERT INTO t (a, b) SELECT * FROM unnest(?::bigint[], ?::text[])}, with
 * one array bound per column ({@link Connection#createArrayOf}). The server parses and plans it
 * once per connection; there is no bind-parameter limit to chunk around. Counts one statement.
 *
 * <p>Column types map to array element types as {@link UnnestArrays} says (OTHER is uuid); any
 * other type is refused when the sink is built.
 *
 * <p>One statement cannot say which row broke it: a data or constraint error leaves the batch to
 * the batcher to split. A text value PostgreSQL cannot store (a NUL, an unpaired surrogate) is
 * found before sending and fails that item alone ({@link FailedItem}, SQLState 22021).
 *
 * <p>Internal: not API, may change in any release.
 */
public final class UnnestWriter<T> implements RowWriter<T> {
  private final List<Column<T>> columns;
  private final UnnestArrays arrays;
  private final String sql;

  /**
   * @throws IllegalArgumentException if a column's type has no array element type here, naming
   *     the column and the type
   */
  public UnnestWriter(TableSpec<T> table) {
    this.columns = table.columns();
    this.arrays = new UnnestArrays(columns);
    this.sql = "INSERT INTO " + table.quoted() + " (" + table.columnList() + ") SELECT * FROM "
        + arrays.unnestCall();
  }

  /** The statement text, the same for every batch. */
  public String sql() {
    return sql;
  }

  /** One INSERT, whatever the batch. */
  @Override
  public boolean oneStatement(List<T> batch) {
    return true;
  }

  @Override
  public @Nullable BatchResult write(Connection c, List<T> batch, StatementCounts counts)
      throws SQLException {
    List<@Nullable Object[]> rows = new ArrayList<>(batch.size());
    for (T item : batch) {
      @Nullable Object[] row = new Object[columns.size()];
      for (int col = 0; col < row.length; col++) {
        row[col] = columns.get(col).valueOf(item);
      }
      rows.add(row);
    }
    arrays.execute(c, sql, rows, counts, row -> row); // row index = item index
    return null;
  }
}
