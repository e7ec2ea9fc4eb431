package dev.batcher.jdbc;

/** Keys Java and PostgreSQL compare differently: {@code bytea} and {@code timestamptz}. */
class PostgresKeyEqualityIT extends KeyEqualityTests {
  @Override
  Dialect dialect() {
    return Dialect.POSTGRESQL;
  }

  @Override
  String bytesType() {
    return "bytea";
  }

  @Override
  String instantType() {
    return "timestamptz";
  }
}
