/**
 * JDBC sinks for batcher: one transaction per batch, written one by one, as a JDBC batch, as
 * multi-row statements, with PostgreSQL's UNNEST or COPY, as upserts, inserts that skip existing
 * keys, or counter merges; errors classified by SQLState.
 *
 * <p>Only {@code dev.batcher.jdbc} is API. {@code dev.batcher.jdbc.internal} is not exported and
 * may change in any release.
 */
@SuppressWarnings("requires-automatic") // pgjdbc has an Automatic-Module-Name, no module-info
module dev.batcher.jdbc {
  requires transitive dev.batcher.core;
  requires transitive java.sql;
  requires org.slf4j;
  // The API's nullness annotations: readers of the API see them, nobody needs them at run time.
  requires static transitive org.jspecify;
  // Optional: COPY needs pgjdbc's CopyManager, which only PostgreSQL users have.
  requires static org.postgresql.jdbc;

  exports dev.batcher.jdbc;
}
