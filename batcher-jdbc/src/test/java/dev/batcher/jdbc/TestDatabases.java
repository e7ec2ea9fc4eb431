package dev.batcher.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where the integration tests find their databases: environment variables with local defaults,
 * each behind a small HikariCP pool. A database that does not answer fails the test with a message
 * that names it, the address tried and the variable to set; tests never skip silently.
 */
final class TestDatabases {
  public static final String POSTGRES_VARIABLE = "BATCHER_POSTGRES_URL";
  public static final String POSTGRES_DEFAULT =
      "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
  public static final String MARIADB_VARIABLE = "BATCHER_MARIADB_URL";
  public static final String MARIADB_DEFAULT = "jdbc:mariadb://127.0.0.1:3306/test?user=root";
  private static final AtomicInteger H2_SEQ = new AtomicInteger();

  private TestDatabases() {}

  /** A pool on the PostgreSQL the tests use; checks that it answers. */
  public static HikariDataSource postgres() {
    return pool("PostgreSQL", POSTGRES_VARIABLE, POSTGRES_DEFAULT, 4);
  }

  /** A pool on the MariaDB the tests use; checks that it answers. */
  public static HikariDataSource mariadb() {
    return pool("MariaDB", MARIADB_VARIABLE, MARIADB_DEFAULT, 4);
  }

  /** A pool on a fresh in-memory H2 database, in PostgreSQL-free default mode. */
  public static HikariDataSource h2() {
    HikariConfig c = new HikariConfig();
    c.setJdbcUrl("jdbc:h2:mem:batcher" + H2_SEQ.incrementAndGet() + ";DB_CLOSE_DELAY=-1");
    c.setMaximumPoolSize(4);
    return new HikariDataSource(c);
  }

  /** A pool on {@code dialect}'s test database. */
  public static HikariDataSource of(Dialect dialect) {
    switch (dialect) {
      case POSTGRESQL:
        return postgres();
      case MARIADB:
        return mariadb();
      case H2:
      default:
        return h2();
    }
  }

  private static HikariDataSource pool(String name, String variable, String fallback, int size) {
    String url = System.getenv().getOrDefault(variable, fallback);
    HikariConfig c = new HikariConfig();
    c.setJdbcUrl(url);
    c.setMaximumPoolSize(size);
    c.setConnectionTimeout(5_000);
    c.setInitializationFailTimeout(-1); // fail below, with a message that says what to do
    HikariDataSource ds = new HikariDataSource(c);
    try (Connection conn = ds.getConnection()) {
      conn.isValid(5);
    } catch (SQLException e) {
      ds.close();
      throw new AssertionError(name + " is not reachable at " + url + " (" + e.getMessage()
          + "). Start it (../shared/services.sh) or point " + variable + " at one, e.g. "
          + variable + "=" + fallback, e);
    }
    return ds;
  }

  /** Runs {@code sql} statements on a connection of {@code ds}, autocommit. */
  public static void exec(javax.sql.DataSource ds, String... sql) throws SQLException {
    try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
      for (String q : sql) {
        s.execute(q);
      }
    }
  }
}
