/**
 * Test fixtures for the batcher and its sink modules, published as batcher-core's test-jar
 * ({@code <type>test-jar</type>}, managed in the parent POM): the one clock fake {@link
 * dev.batcher.testing.ManualTimeSource}, the {@link dev.batcher.testing.RecordingSink}, the {@link
 * dev.batcher.testing.Stress} scale of long tests, and {@link
 * dev.batcher.testing.BatchSinkContractTest}, the contract every sink's test extends.
 *
 * <p>Not API: these classes change with the tests that use them. Test-scoped dependencies are not
 * transitive, so a module that uses the fixtures declares JUnit Jupiter and AssertJ itself.
 */
@NullMarked
package dev.batcher.testing;

import org.jspecify.annotations.NullMarked;
