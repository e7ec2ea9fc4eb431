package dev.batcher.jdbc;

/**
 * How a {@link JdbcSink} sends a batch to the database. Every strategy writes the whole batch in
 * one transaction; they differ in how many statements and round trips that takes, and in what
 * they do with a row whose key exists. See {@code docs/jdbc.md} for what each costs.
 */
public enum WriteStrategy {
  /** One INSERT per item in the batch's transaction: the baseline the benchmarks compare with. */
  ONE_BY_ONE,
  /** One INSERT with {@code addBatch}/{@code executeBatch}: the driver may pipeline it. */
  JDBC_BATCH,
  /**
   * {@code INSERT ... VALUES (...), (...)}, chunked so that no statement exceeds 65,535 bind
   * parameters or {@link JdbcSink.Builder#maxStatementBytes the byte budget}. The default for
   * MariaDB/MySQL and H2.
   */
  MULTI_ROW,
  /**
   * PostgreSQL only: one statement with fixed SQL text whatever the batch size, {@code INSERT ...
   * SELECT * FROM unnest(?::bigint[], ?::text[], ...)}, one array bind per column: planned once
   * per connection, no bind-parameter limit, one statement per batch. Column types map to array
   * element types (BIGINT, INTEGER, SMALLINT, the character types as text, NUMERIC/DECIMAL,
   * BOOLEAN/BIT, DOUBLE, REAL/FLOAT, TIMESTAMP, TIMESTAMP_WITH_TIMEZONE, DATE, the binary types
   * as bytea, OTHER as uuid with {@link java.util.UUID} values); a sink with any other column type
   * is refused when built, naming the column and its type. The statement cannot say which row
   * broke it, so a data or constraint error lets the batcher split the batch. The default for
   * PostgreSQL.
   */
  UNNEST,
  /**
   * PostgreSQL only: {@code COPY t (...) FROM STDIN} through pgjdbc's CopyManager (pgjdbc must be
   * on the path; the connection may be a pool's proxy), one statement per batch. Rows are streamed
   * in 64 KiB buffers, never held as one batch-sized text, in COPY's text format with exact
   * escaping: any text (backslashes, tabs, newlines, {@code \N}, {@code \.}, astral code points)
   * reads back as written. A row the server refuses is pinpointed by the line its error names: that
   * item alone fails and the others are sent again at once, so a batch with one poison costs two
   * statements. Text PostgreSQL cannot store (a NUL character) fails its item with SQLState 22021.
   */
  COPY,
  /**
   * Insert, or update the non-key columns of a row whose key exists (PostgreSQL {@code ON
   * CONFLICT ... DO UPDATE}, MariaDB/MySQL {@code ON DUPLICATE KEY UPDATE}, H2 {@code MERGE});
   * an item whose key repeats in one batch is resolved before the statement, the last one wins.
   * Needs {@link JdbcSink.Builder#keyColumns key columns}.
   */
  UPSERT,
  /**
   * Insert, skipping rows whose key exists, so that a redelivered item is never written twice:
   * the basis of effectively-once delivery from a durable queue. Needs key columns.
   */
  INSERT_IGNORE,
  /**
   * Adds the value columns (deltas) of each item to the row of its key in one statement, keys
   * de-duplicated (deltas of one key summed) and sorted so that concurrent batches cannot
   * deadlock. A missing key is inserted with the delta, or, {@link JdbcSink.Builder#updateOnly
   * updateOnly}, fails that item. Needs key columns.
   */
  COUNTER_MERGE
}
