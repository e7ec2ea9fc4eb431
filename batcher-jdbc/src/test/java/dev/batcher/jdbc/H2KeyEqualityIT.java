package dev.batcher.jdbc;

/** Keys Java and H2 compare differently: {@code VARBINARY} and timestamps with a time zone. */
class H2KeyEqualityIT extends KeyEqualityTests {
  @Override
  Dialect dialect() {
    return Dialect.H2;
  }

  @Override
  String bytesType() {
    return "varbinary(16)";
  }

  @Override
  String instantType() {
    return "timestamp with time zone";
  }
}
