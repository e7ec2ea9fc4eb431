package dev.batcher.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Runs the program of docs/getting-started.md ({@link GettingStarted}) against the test
 * PostgreSQL, in a schema of its own so that its table {@code likes} meets no other test's.
 */
class GettingStartedIT {
  private static final String SCHEMA = "getting_started";

  private HikariDataSource admin;
  private String url;

  @BeforeEach
  void createTable() throws SQLException {
    admin = TestDatabases.postgres();
    TestDatabases.exec(admin, "DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE",
        "CREATE SCHEMA " + SCHEMA,
        // the guide's table:
        "CREATE TABLE " + SCHEMA + ".likes (post_id BIGINT NOT NULL, user_id BIGINT NOT NULL,"
            + " PRIMARY KEY (post_id, user_id))");
    String base = System.getenv()
        .getOrDefault(TestDatabases.POSTGRES_VARIABLE, TestDatabases.POSTGRES_DEFAULT);
    url = base + (base.contains("?") ? "&" : "?") + "currentSchema=" + SCHEMA;
  }

  @AfterEach
  void dropSchema() throws SQLException {
    TestDatabases.exec(admin, "DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
    admin.close();
  }

  @Test
  void theGuidesProgram_writesEveryLike() throws SQLException {
    GettingStarted.run(url, 10_000);

    assertThat(query("SELECT count(*) FROM " + SCHEMA + ".likes WHERE post_id = 42"))
        .isEqualTo("10000");
  }

  @Test
  void theGuidesPool_setsTheDatabaseTimeouts() throws SQLException {
    try (HikariDataSource pool = GettingStarted.pool(url);
        Connection c = pool.getConnection(); Statement s = c.createStatement()) {
      assertThat(value(s, "SHOW statement_timeout")).isEqualTo("20s");
      assertThat(value(s, "SHOW lock_timeout")).isEqualTo("5s");
      assertThat(pool.getConnectionTimeout()).isEqualTo(5_000);
    }
  }

  private String query(String sql) throws SQLException {
    try (Connection c = admin.getConnection(); Statement s = c.createStatement()) {
      return value(s, sql);
    }
  }

  private static String value(Statement s, String sql) throws SQLException {
    try (ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
