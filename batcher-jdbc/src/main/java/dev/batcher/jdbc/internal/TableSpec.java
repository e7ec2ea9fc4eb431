package dev.batcher.jdbc.internal;

import dev.batcher.jdbc.Dialect;
import java.util.List;
import java.util.StringJoiner;

/**
 * The table a sink writes: its quoted name, its columns in order and which of them form the key
 * (for upserts, inserts that skip existing keys and counter merges). Immutable.
 *
 * <p>Internal: not API, may change in any release.
 *
 * @param dialect the SQL dialect
 * @param name the table name as the user gave it
 * @param quoted the table name quoted for the dialect
 * @param columns every column, in the order the user gave them
 * @param keys the indexes in {@code columns} of the key columns, in the order given; may be empty
 */
public record TableSpec<T>(Dialect dialect, String name, String quoted, List<Column<T>> columns,
    List<Integer> keys) {

  public TableSpec {
    columns = List.copyOf(columns);
    keys = List.copyOf(keys);
  }

  /** The columns that are not part of the key, in order. */
  public List<Column<T>> valueColumns() {
    return columns.stream().filter(c -> !keys.contains(columns.indexOf(c))).toList();
  }

  /** The key columns, in key order. */
  public List<Column<T>> keyColumns() {
    return keys.stream().map(columns::get).toList();
  }

  /** {@code "a", "b", "c"}: the quoted column names joined with commas. */
  public String columnList() {
    StringJoiner j = new StringJoiner(", ");
    for (Column<T> c : columns) {
      j.add(c.quoted());
    }
    return j.toString();
  }

  /** {@code (?, ?, ?)}: one row of bind parameters. */
  public String rowOfParameters() {
    StringJoiner j = new StringJoiner(", ", "(", ")");
    for (int i = 0; i < columns.size(); i++) {
      j.add("?");
    }
    return j.toString();
  }

  /** {@code INSERT INTO t (a, b) VALUES (?, ?)}: the one-row insert. */
  public String insertOneRow() {
    return "INSERT INTO " + quoted + " (" + columnList() + ") VALUES " + rowOfParameters();
  }
}
