/**
 * JDBC sinks: build a {@link dev.batcher.jdbc.JdbcSink} from a {@link javax.sql.DataSource}, a
 * table and typed columns, hand it to {@code Batcher.builder(sink)}, and every batch is written in
 * one transaction with the {@link dev.batcher.jdbc.WriteStrategy} that suits the database.
 *
 * <p>Every type here is null-marked: parameters and return values are non-null unless annotated
 * {@code @Nullable}. Configuration errors (an identifier the database cannot hold, a strategy the
 * dialect does not support) are reported when the sink is built.
 */
@NullMarked
package dev.batcher.jdbc;

import org.jspecify.annotations.NullMarked;
