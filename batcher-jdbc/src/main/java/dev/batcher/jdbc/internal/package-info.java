/**
 * The implementation of the JDBC sinks: SQL per dialect, the writers of each strategy, error
 * classification. Internal: not API, may change in any release.
 */
@NullMarked
package dev.batcher.jdbc.internal;

import org.jspecify.annotations.NullMarked;
