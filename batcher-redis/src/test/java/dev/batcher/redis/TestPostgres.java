package dev.batcher.redis;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Where the stream worker's integration tests find PostgreSQL: {@value #VARIABLE}, default
 * {@value #DEFAULT}, behind a small HikariCP pool (batcher-jdbc's {@code TestDatabases} pattern).
 * A database that does not answer fails the test with a message that names it, the address tried
 * and the variable to set; tests never skip silently.
 */
final class TestPostgres {
  static final String VARIABLE = "BATCHER_POSTGRES_URL";
  static final String DEFAULT = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";

  private TestPostgres() {}

  /** A pool on the PostgreSQL the tests use; checks that it answers. */
  static HikariDataSource pool() {
    String url = System.getenv().getOrDefault(VARIABLE, DEFAULT);
    HikariConfig c = new HikariConfig();
    c.setJdbcUrl(url);
    c.setMaximumPoolSize(4);
    c.setConnectionTimeout(5_000);
    c.setInitializationFailTimeout(-1); // fail below, with a message that says what to do
    HikariDataSource ds = new HikariDataSource(c);
    try (Connection conn = ds.getConnection()) {
      conn.isValid(5);
    } catch (SQLException e) {
      ds.close();
      throw new AssertionError("PostgreSQL is not reachable at " + url + " (" + e.getMessage()
          + "). Start it (../shared/services.sh) or point " + VARIABLE + " at one, e.g. "
          + VARIABLE + "=" + DEFAULT, e);
    }
    return ds;
  }

  /** A unique table name for one test: {@code batcher_it_<name>_<random>}. */
  static String table(String name) {
    return "batcher_it_" + name + "_" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** Runs {@code sql} statements on a connection of {@code ds}, autocommit. */
  static void exec(DataSource ds, String... sql) throws SQLException {
    try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
      for (String q : sql) {
        s.execute(q);
      }
    }
  }

  /** {@return the single number that {@code sql} selects} */
  static long number(DataSource ds, String sql) throws SQLException {
    try (Connection c = ds.getConnection(); Statement s = c.createStatement();
        ResultSet r = s.executeQuery(sql)) {
      r.next();
      return r.getLong(1);
    }
  }
}
