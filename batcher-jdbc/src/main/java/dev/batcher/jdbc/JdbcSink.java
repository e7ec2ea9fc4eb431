package dev.batcher.jdbc;

import static java.util.Objects.requireNonNull;

import dev.batcher.BatchResult;
import dev.batcher.BatchSink;
import dev.batcher.jdbc.internal.Column;
import dev.batcher.jdbc.internal.DuplicateKeys;
import dev.batcher.jdbc.internal.FailedItem;
import dev.batcher.jdbc.internal.RowWriter;
import dev.batcher.jdbc.internal.SqlErrors;
import dev.batcher.jdbc.internal.StatementCounts;
import dev.batcher.jdbc.internal.TableSpec;
import dev.batcher.jdbc.internal.ValueLimits;
import dev.batcher.jdbc.internal.Writers;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLType;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link BatchSink} that writes each batch to a database table in one transaction on one
 * connection: autocommit off, commit on success, rollback on failure, and the connection back to
 * the pool in every case (with the autocommit it came with). A batch that goes as a single
 * statement (a COPY, an UNNEST insert, a multi-row INSERT that fits one statement, a one-item
 * batch) runs in autocommit instead: the database makes one statement atomic by itself, and
 * that saves the COMMIT round trip (and before a COPY the BEGIN that pgjdbc sends on its own).
 * Such a sink is {@linkplain #isAtomic() atomic}, so the batcher may split a failed batch to
 * isolate a poison item; it says so itself.
 *
 * <pre>{@code
 * JdbcSink<Like> sink = JdbcSink.<Like>builder(dataSource)
 *     .table("likes")
 *     .column("post_id", JDBCType.BIGINT, Like::postId)
 *     .column("user_id", JDBCType.BIGINT, Like::userId)
 *     .build();                       // the dialect's default strategy: UNNEST on PostgreSQL
 * try (Batcher<Like> likes = Batcher.builder(sink).maxBatchSize(1000).build()) { ... }
 * }</pre>
 *
 * <p><b>Failures</b> are classified by SQLState through the whole exception chain (see {@code
 * docs/jdbc.md}): retryable ones (deadlock, serialization, connection, timeouts) are handed to the
 * batcher as a failure of the whole batch, retried whole under its {@code RetryPolicy} and never
 * split; errors about no item (a missing table or column, syntax, authentication) fail the batch
 * at once, never split; errors about an item (data and constraint violations) pinpoint that item
 * where the database names it (the others are sent again at once) and otherwise let the batcher
 * split the batch. A unique violation is pinpointed by the key the database names (PostgreSQL's
 * detail, or MariaDB's duplicate entry read against {@link Builder#keyColumns key columns}) when
 * exactly one item has that key. Errors reach the retry policy as {@link java.sql.SQLTransientException} or
 * {@link java.sql.SQLNonTransientException} wrapping the driver's exception, with its SQLState.
 * An {@link Error} thrown while writing (a value function's {@code AssertionError} or {@code
 * StackOverflowError}) rolls the transaction back and propagates to the batcher, which treats it
 * as any other failure of the whole batch; nothing of that batch is committed. On MariaDB a
 * value the server cannot take (a NaN or infinite {@code double}, a row bigger than {@code
 * max_allowed_packet}) fails its item before anything is sent.
 *
 * <p><b>Pools.</b> Use a pooled {@link DataSource} (HikariCP); a connection that failed with a
 * connection error is aborted, not reused. Keep the pool's and the database's timeouts below the
 * batcher's {@code deliveryTimeout}.
 *
 * <p>Thread-safe: a batcher with several batches in flight calls it from several threads, each
 * call on its own connection. {@link #statements()} and {@link #roundTrips()} count what it sent.
 *
 * @param <T> the item type
 */
public final class JdbcSink<T> implements BatchSink<T> {
  private static final Logger LOG = LoggerFactory.getLogger(JdbcSink.class);

  private final DataSource dataSource;
  private final Dialect dialect;
  private final WriteStrategy strategy;
  private final String target;
  private final RowWriter<T> writer;
  private final @Nullable DuplicateKeys<T> duplicates;
  private final @Nullable ValueLimits<T> limits;
  private final StatementCounts counts = new StatementCounts();

  private JdbcSink(Builder<T> b, Dialect dialect, WriteStrategy strategy, String target,
      RowWriter<T> writer, @Nullable DuplicateKeys<T> duplicates,
      @Nullable ValueLimits<T> limits) {
    this.dataSource = b.dataSource;
    this.dialect = dialect;
    this.strategy = strategy;
    this.target = target;
    this.writer = writer;
    this.duplicates = duplicates;
    this.limits = limits;
  }

  /**
   * {@return a builder for a sink that writes to {@code dataSource}}
   *
   * @param <T> the item type
   * @param dataSource where the batches are written, one connection per batch
   * @throws NullPointerException if {@code dataSource} is null
   */
  public static <T> Builder<T> builder(DataSource dataSource) {
    return new Builder<>(requireNonNull(dataSource, "dataSource"));
  }

  /** Always true: a batch is written in one transaction, all or nothing. */
  @Override
  public boolean isAtomic() {
    return true;
  }

  /** {@return the dialect, as set or detected} */
  public Dialect dialect() {
    return dialect;
  }

  /** {@return the strategy, as set or the dialect's default} */
  public WriteStrategy strategy() {
    return strategy;
  }

  /**
   * {@return the statements sent so far} A JDBC batch of n rows counts n, a multi-row statement,
   * UNNEST or COPY counts one. "100,000 likes became N statements" reads off this.
   */
  public long statements() {
    return counts.statements();
  }

  /** {@return the round trips to the database so far, commits and rollbacks included} */
  public long roundTrips() {
    return counts.roundTrips();
  }

  @Override
  public BatchResult write(List<T> batch) throws Exception {
    Connection c;
    try {
      c = dataSource.getConnection();
    } catch (SQLException | RuntimeException e) {
      // No connection is about no item: a pool that is shut down or restarting (its
      // RuntimeException) is retried whole; so is a lost server, but not a refused login.
      SqlErrors.Kind kind = SqlErrors.classify(e) == SqlErrors.Kind.BATCH
          ? SqlErrors.Kind.BATCH : SqlErrors.Kind.RETRYABLE;
      return BatchResult.batchFailed(SqlErrors.forRetryPolicy(e, kind));
    }
    @Nullable Boolean restoreAutoCommit = null;
    boolean open = false; // a transaction of this call may hold uncommitted rows
    boolean broken = false; // lost, or its transaction could not be rolled back: abort it
    try {
      // One statement is its own transaction (autocommit): atomic all the same, and no COMMIT
      // round trip. Several run in one transaction that this call commits or rolls back.
      boolean oneStatement = writer.oneStatement(batch);
      boolean autoCommit = c.getAutoCommit();
      if (autoCommit != oneStatement) {
        c.setAutoCommit(oneStatement);
        restoreAutoCommit = autoCommit;
      }
      open = !oneStatement;
      if (limits != null) {
        limits.check(c, batch, counts); // before anything is sent
      }
      BatchResult partial = writer.write(c, batch, counts);
      if (open) {
        c.commit();
        open = false;
        counts.roundTrip();
      }
      return partial == null ? BatchResult.success() : partial;
    } catch (SQLException | RuntimeException e) {
      if (open) {
        open = false;
        broken = !rollback(c);
      }
      SqlErrors.Kind kind = SqlErrors.classify(e);
      // whatever the kind: never reuse a lost connection
      broken = broken || SqlErrors.isConnectionLost(e);
      if (kind == SqlErrors.Kind.ITEM) {
        int index = e instanceof FailedItem f ? f.index()
            : e instanceof SQLException s ? writer.pinpoint(s, batch) : -1;
        if (index < 0 && duplicates != null) {
          index = duplicates.pinpoint(e, batch); // the key a unique violation names
        }
        Throwable cause = e instanceof FailedItem && e.getCause() != null ? e.getCause() : e;
        if (index >= 0 && batch.size() > 1) {
          return BatchResult.builder(batch.size()).failedPermanently(index, cause)
              .othersNotAttempted().build();
        }
        throw SqlErrors.forRetryPolicy(cause, kind); // the batcher splits the batch
      }
      return BatchResult.batchFailed(SqlErrors.forRetryPolicy(e, kind));
    } finally {
      // Still open here only when an Error (a value function's AssertionError, a
      // StackOverflowError) went past the catch: roll back before it propagates. A transaction
      // that could not be rolled back must neither be committed by restoring autocommit nor
      // reach the pool's next borrower: the connection is aborted.
      if (open) {
        broken = !rollback(c);
      }
      release(c, restoreAutoCommit, broken);
    }
  }

  /** Rolls back; returns whether the rollback went through. */
  private boolean rollback(Connection c) {
    try {
      c.rollback();
      counts.roundTrip();
      return true;
    } catch (SQLException | RuntimeException e) {
      LOG.debug("JDBC sink for {}: rollback failed; the connection is aborted", target, e);
      return false;
    }
  }

  /**
   * Gives the connection back, with the autocommit it came with ({@code restoreAutoCommit}, or
   * null if unchanged); one that was lost, or whose transaction could not be rolled back
   * ({@code abort}), is aborted, not reused, and its autocommit is left alone.
   */
  private void release(Connection c, @Nullable Boolean restoreAutoCommit, boolean abort) {
    if (abort) {
      try {
        c.abort(Runnable::run);
      } catch (SQLException | RuntimeException e) {
        LOG.debug("JDBC sink for {}: abort of a lost connection failed", target, e);
      }
    } else if (restoreAutoCommit != null) {
      try {
        c.setAutoCommit(restoreAutoCommit);
      } catch (SQLException | RuntimeException e) {
        LOG.debug("JDBC sink for {}: could not restore autocommit", target, e);
      }
    }
    try {
      c.close();
    } catch (SQLException | RuntimeException e) {
      LOG.debug("JDBC sink for {}: close failed", target, e);
    }
  }

  @Override
  public String toString() {
    return "JdbcSink{" + target + ", " + dialect + ", " + strategy + "}";
  }

  /**
   * Builds a {@link JdbcSink}: a table and typed columns, or an SQL statement and a binder for
   * what the table form does not cover. Options are set once each; a bad value fails at the
   * setter or at {@link #build()} with a message that names it. Not thread-safe.
   *
   * @param <T> the item type
   */
  public static final class Builder<T> {
    /** Default {@link #maxStatementBytes} on MariaDB/MySQL: {@value} (a quarter of 16 MiB). */
    public static final long DEFAULT_MARIADB_MAX_STATEMENT_BYTES = 4L << 20;

    private final DataSource dataSource;
    private @Nullable String[] table;
    private final List<ColumnDef<T>> columns = new ArrayList<>();
    private @Nullable List<String> keyColumns;
    private @Nullable WriteStrategy strategy;
    private @Nullable Dialect dialect;
    private boolean updateOnly;
    private boolean updateOnlySet;
    private long maxStatementBytes = -1;
    private @Nullable String sql;
    private @Nullable StatementBinder<T> binder;

    private record ColumnDef<T>(String name, SQLType type,
        Function<? super T, ? extends @Nullable Object> value) {}

    private Builder(DataSource dataSource) {
      this.dataSource = dataSource;
    }

    /**
     * Sets the table, as its parts: {@code table("likes")} or {@code table("app", "likes")} for a
     * schema-qualified name. Each part is quoted exactly as given.
     *
     * @param nameParts the table name's parts, schema first
     * @return this builder
     */
    public Builder<T> table(String... nameParts) {
      this.table = TableNames.checked(nameParts, table);
      return this;
    }

    /**
     * Adds a column: its name (quoted exactly as given), the JDBC type its values are bound as
     * ({@link java.sql.JDBCType}), and how to read its value from an item (null binds SQL NULL).
     *
     * @param name the column's name
     * @param type the JDBC type its values are bound as
     * @param value reads the column's value from an item
     * @return this builder
     */
    public Builder<T> column(String name, SQLType type,
        Function<? super T, ? extends @Nullable Object> value) {
      requireNonNull(name, "name");
      requireNonNull(type, "type");
      requireNonNull(value, "value");
      for (ColumnDef<T> c : columns) {
        if (c.name().equals(name)) {
          throw new IllegalArgumentException("column '" + name + "' was already added");
        }
      }
      columns.add(new ColumnDef<>(name, type, value));
      return this;
    }

    /**
     * Sets the key columns (already added with {@link #column}) that {@link WriteStrategy#UPSERT},
     * {@link WriteStrategy#INSERT_IGNORE} and {@link WriteStrategy#COUNTER_MERGE} match rows by:
     * a primary key or unique constraint of the table. On MariaDB/MySQL, whose duplicate-key error
     * names the key's values but not its columns, they also let the sink pinpoint the item of a
     * duplicate key under any strategy. Each name must be a column's name exactly as it was added,
     * case included, on every dialect: names are quoted, so the builder never guesses.
     *
     * @param names the key columns' names
     * @return this builder
     */
    public Builder<T> keyColumns(String... names) {
      requireNonNull(names, "names");
      requireState(keyColumns == null, "keyColumns was already set to %s", keyColumns);
      if (names.length == 0) {
        throw new IllegalArgumentException("keyColumns needs at least one column");
      }
      for (int i = 0; i < names.length; i++) {
        requireNonNull(names[i], "keyColumns[" + i + "]");
      }
      Set<String> unique = new LinkedHashSet<>(List.of(names));
      if (unique.size() != names.length) {
        throw new IllegalArgumentException("keyColumns repeats a column: " + List.of(names));
      }
      this.keyColumns = List.copyOf(unique);
      return this;
    }

    /**
     * Sets the write strategy. Default: the dialect's ({@link Dialect#defaultStrategy()}).
     *
     * @param strategy how batches are written
     * @return this builder
     */
    public Builder<T> strategy(WriteStrategy strategy) {
      requireNonNull(strategy, "strategy");
      requireState(this.strategy == null, "strategy was already set to %s", this.strategy);
      this.strategy = strategy;
      return this;
    }

    /**
     * Sets the dialect. Default: detected from a connection's metadata at {@link #build()}.
     *
     * @param dialect the SQL dialect of the database
     * @return this builder
     */
    public Builder<T> dialect(Dialect dialect) {
      requireNonNull(dialect, "dialect");
      requireState(this.dialect == null, "dialect was already set to %s", this.dialect);
      this.dialect = dialect;
      return this;
    }

    /**
     * {@link WriteStrategy#COUNTER_MERGE} only: update existing rows and fail the item of a key
     * that has no row (with SQLState 02000), instead of inserting it. Default false.
     *
     * @param updateOnly true to update existing rows only
     * @return this builder
     */
    public Builder<T> updateOnly(boolean updateOnly) {
      requireState(!updateOnlySet, "updateOnly was already set to %s", this.updateOnly);
      this.updateOnly = updateOnly;
      this.updateOnlySet = true;
      return this;
    }

    /**
     * The most bytes of values one multi-row statement may carry, estimated: keep it under the
     * server's packet limit (MySQL {@code max_allowed_packet}). Default {@value
     * #DEFAULT_MARIADB_MAX_STATEMENT_BYTES} on MariaDB/MySQL, no limit elsewhere (the 65,535
     * bind-parameter limit always applies). On PostgreSQL, setting it makes the keyed strategies
     * send multi-row statements in chunks instead of one statement with the rows as arrays.
     *
     * @param maxStatementBytes the most bytes of values per statement
     * @return this builder
     */
    public Builder<T> maxStatementBytes(long maxStatementBytes) {
      requireState(this.maxStatementBytes < 0, "maxStatementBytes was already set to %s",
          this.maxStatementBytes);
      if (maxStatementBytes <= 0) {
        throw new IllegalArgumentException(
            "maxStatementBytes must be positive: " + maxStatementBytes);
      }
      this.maxStatementBytes = maxStatementBytes;
      return this;
    }

    /**
     * Writes with an SQL statement of one row's parameters instead of a table and columns, for
     * what the table form does not cover; strategies {@link WriteStrategy#ONE_BY_ONE} or {@link
     * WriteStrategy#JDBC_BATCH} (the default).
     *
     * @param sql the statement, with one row's parameters
     * @param binder sets the parameters from an item
     * @return this builder
     */
    public Builder<T> statement(String sql, StatementBinder<T> binder) {
      requireNonNull(sql, "sql");
      requireNonNull(binder, "binder");
      requireState(this.sql == null, "statement was already set to %s", this.sql);
      if (sql.isBlank()) {
        throw new IllegalArgumentException("statement SQL must not be blank");
      }
      this.sql = sql;
      this.binder = binder;
      return this;
    }

    /**
     * Builds the sink, detecting the dialect from a connection if it was not set.
     *
     * @return the sink
     * @throws IllegalStateException if options conflict or are missing, or the dialect cannot be
     *     detected
     * @throws IllegalArgumentException if an identifier cannot be held by the database ({@link
     *     Dialect#quote}), two columns are one column there (on MariaDB/MySQL, names that differ
     *     only in case), or a key column is not one of the columns
     */
    public JdbcSink<T> build() {
      Dialect d = dialect != null ? dialect : detectDialect();
      if (sql != null) {
        requireState(table == null && columns.isEmpty(),
            "statement(...) replaces table(...) and column(...): set one or the other%s", "");
        WriteStrategy s = strategy == null ? WriteStrategy.JDBC_BATCH : strategy;
        requireState(s == WriteStrategy.ONE_BY_ONE || s == WriteStrategy.JDBC_BATCH,
            "a statement(...) sink writes ONE_BY_ONE or JDBC_BATCH, not %s", s);
        return new JdbcSink<>(this, d, s, "statement " + sql,
            Writers.forStatement(s, d, sql, requireNonNull(binder)), null, null);
      }
      requireState(table != null, "table(...) (or statement(...)) is required%s", "");
      requireState(!columns.isEmpty(), "at least one column(...) is required%s", "");
      WriteStrategy s = strategy == null ? d.defaultStrategy() : strategy;
      requireState(d.supports(s), "strategy %s is not supported by %s", s, d);
      boolean keyed = s == WriteStrategy.UPSERT || s == WriteStrategy.INSERT_IGNORE
          || s == WriteStrategy.COUNTER_MERGE;
      requireState(!keyed || keyColumns != null, "strategy %s needs keyColumns(...)", s);
      requireState(!updateOnlySet || s == WriteStrategy.COUNTER_MERGE,
          "updateOnly applies only to COUNTER_MERGE, not %s", s);
      List<Column<T>> cols = new ArrayList<>();
      for (ColumnDef<T> c : columns) {
        cols.add(new Column<>(c.name(), d.quote("column", c.name()), c.type(), c.value()));
      }
      if (d == Dialect.MARIADB) {
        refuseColumnsDifferingOnlyInCase();
      }
      List<Integer> keys = new ArrayList<>();
      if (keyColumns != null) {
        for (String k : keyColumns) {
          int i = indexOf(k);
          if (i < 0) {
            String near = columns.stream().map(ColumnDef::name).filter(k::equalsIgnoreCase)
                .findFirst().map(n -> " (names match exactly, case included: '" + n + "'?)")
                .orElse("");
            throw new IllegalArgumentException("key column '" + k + "' is not among the columns "
                + columns.stream().map(ColumnDef::name).toList() + near);
          }
          keys.add(i);
        }
        requireState(s != WriteStrategy.COUNTER_MERGE && s != WriteStrategy.UPSERT
            || keys.size() < cols.size(), "strategy %s needs a column besides the keys", s);
      }
      String[] parts = requireNonNull(table);
      TableSpec<T> spec = new TableSpec<>(d, String.join(".", parts), d.quoteTable(parts), cols,
          keys);
      long budget = maxStatementBytes > 0 ? maxStatementBytes
          : d == Dialect.MARIADB ? DEFAULT_MARIADB_MAX_STATEMENT_BYTES : Long.MAX_VALUE;
      return new JdbcSink<>(this, d, s, spec.quoted(),
          Writers.forTable(s, spec, budget, updateOnly), new DuplicateKeys<>(spec),
          ValueLimits.of(spec));
    }

    /**
     * MariaDB/MySQL column names are case-insensitive: {@code Ab} and {@code aB} are one column
     * there, and the server would refuse every batch ("Column 'Ab' specified twice").
     */
    private void refuseColumnsDifferingOnlyInCase() {
      for (int i = 0; i < columns.size(); i++) {
        for (int j = i + 1; j < columns.size(); j++) {
          String a = columns.get(i).name();
          String b = columns.get(j).name();
          if (Dialect.sameMariaDbColumnName(a, b)) {
            throw new IllegalArgumentException("columns '" + a + "' and '" + b + "' differ only"
                + " in case, and MARIADB column names are case-insensitive: they name one column");
          }
        }
      }
    }

    private int indexOf(String column) {
      for (int i = 0; i < columns.size(); i++) {
        if (columns.get(i).name().equals(column)) {
          return i;
        }
      }
      return -1;
    }

    private Dialect detectDialect() {
      try (Connection c = dataSource.getConnection()) {
        return Dialect.detect(c);
      } catch (SQLException e) {
        throw new IllegalStateException("could not detect the SQL dialect (" + e.getMessage()
            + "): set dialect(...) or check that the database is reachable", e);
      }
    }

    private static void requireState(boolean ok, String template, @Nullable Object... args) {
      if (!ok) {
        throw new IllegalStateException(String.format(template, args));
      }
    }
  }
}
