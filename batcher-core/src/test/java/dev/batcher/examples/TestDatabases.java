package dev.batcher.examples;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * Where the integration tests find their databases: environment variables with local defaults.
 * A database that does not answer fails the test with a message that names it, the address tried
 * and the variable to set.
 */
final class TestDatabases {
  static final String POSTGRES_URL_VARIABLE = "BATCHER_POSTGRES_URL";
  static final String POSTGRES_DEFAULT_URL =
      "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";

  private TestDatabases() {}

  /** A DataSource for the PostgreSQL the tests use; checks that it answers. */
  static DataSource postgres() {
    String url = System.getenv().getOrDefault(POSTGRES_URL_VARIABLE, POSTGRES_DEFAULT_URL);
    DataSource ds = new UrlDataSource(url);
    try (Connection c = ds.getConnection()) {
      c.isValid(5);
    } catch (SQLException e) {
      throw new AssertionError("PostgreSQL is not reachable at " + url + " (" + e.getMessage()
          + "). Start it (../shared/services.sh) or point " + POSTGRES_URL_VARIABLE
          + " at one, e.g. " + POSTGRES_URL_VARIABLE + "=" + POSTGRES_DEFAULT_URL, e);
    }
    return ds;
  }

  /** The smallest DataSource: a new connection per call, as DriverManager gives it. */
  private static final class UrlDataSource implements DataSource {
    private final String url;

    UrlDataSource(String url) {
      this.url = url;
    }

    @Override
    public Connection getConnection() throws SQLException {
      return DriverManager.getConnection(url);
    }

    @Override
    public Connection getConnection(String user, String password) throws SQLException {
      return DriverManager.getConnection(url, user, password);
    }

    @Override
    public PrintWriter getLogWriter() {
      return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {}

    @Override
    public void setLoginTimeout(int seconds) {}

    @Override
    public int getLoginTimeout() {
      return 0;
    }

    @Override
    public Logger getParentLogger() {
      return Logger.getGlobal();
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
      throw new SQLException("not a wrapper");
    }

    @Override
    public boolean isWrapperFor(Class<?> type) {
      return false;
    }
  }
}
