package dev.batcher.benchmarks.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.batcher.jdbc.Dialect;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The databases the JDBC suites write to: the local PostgreSQL and MariaDB (addresses from {@code
 * BATCHER_POSTGRES_URL} and {@code BATCHER_MARIADB_URL}, as in the tests) and an in-memory H2, each
 * behind a HikariCP pool, as a service would run them.
 */
final class Databases {
  private Databases() {}

  /** A pool on {@code database} ({@code postgres}, {@code mariadb}, {@code h2}). */
  static HikariDataSource pool(String database, boolean rewriteBatchedInserts) {
    HikariConfig c = new HikariConfig();
    switch (database) {
      case "postgres":
        c.setJdbcUrl(env("BATCHER_POSTGRES_URL",
            "jdbc:postgresql://127.0.0.1:5432/test?user=postgres")
            + (rewriteBatchedInserts ? "&reWriteBatchedInserts=true" : ""));
        break;
      case "mariadb":
        c.setJdbcUrl(env("BATCHER_MARIADB_URL", "jdbc:mariadb://127.0.0.1:3306/test?user=root"));
        break;
      case "h2":
        c.setJdbcUrl("jdbc:h2:mem:bench;DB_CLOSE_DELAY=-1");
        break;
      default:
        throw new IllegalArgumentException("database must be postgres, mariadb or h2: " + database);
    }
    c.setMaximumPoolSize(4);
    return new HikariDataSource(c);
  }

  static Dialect dialect(String database) {
    switch (database) {
      case "postgres":
        return Dialect.POSTGRESQL;
      case "mariadb":
        return Dialect.MARIADB;
      default:
        return Dialect.H2;
    }
  }

  static void exec(HikariDataSource ds, String... sql) throws SQLException {
    try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
      for (String q : sql) {
        s.execute(q);
      }
    }
  }

  private static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : v;
  }
}
