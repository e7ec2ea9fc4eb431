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
   * SELECT * FROM unnest(?::bigint[], ?::text[], ...)}, one array bind per column. The default
   * for PostgreSQL.
   */
  UNNEST,
  /** PostgreSQL only: {@code COPY ... FROM STDIN} through pgjdbc's CopyManager, rows streamed. */
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
