package dev.batcher.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Proxy;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** The dead-letter table's builder checks and its DDL per dialect. */
class JdbcDeadLetterTableTest {
  private static final DataSource UNREACHABLE = (DataSource) Proxy.newProxyInstance(
      DataSource.class.getClassLoader(), new Class<?>[] {DataSource.class},
      (proxy, method, args) -> {
        throw new SQLException("not reachable in a unit test");
      });

  @Test
  void build_withoutTable_isRejected() {
    assertThatThrownBy(() -> JdbcDeadLetterTable.<String>builder(UNREACHABLE, s -> s)
        .dialect(Dialect.H2).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("table(...) is required");
  }

  @Test
  void table_setTwice_isRejected() {
    assertThatThrownBy(() -> JdbcDeadLetterTable.<String>builder(UNREACHABLE, s -> s)
        .table("app", "dead").table("other"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("table was already set to app.dead");
  }

  @Test
  void dialect_setTwice_isRejected() {
    assertThatThrownBy(() -> JdbcDeadLetterTable.<String>builder(UNREACHABLE, s -> s)
        .dialect(Dialect.H2).dialect(Dialect.MARIADB))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("dialect was already set to H2");
  }

  @Test
  void build_tableNameWithNul_isRejected() {
    assertThatThrownBy(() -> JdbcDeadLetterTable.<String>builder(UNREACHABLE, s -> s)
        .dialect(Dialect.POSTGRESQL).table("de\0ad").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("table name must not contain a NUL character: 'de\\0ad'");
  }

  @Test
  void build_createTableOnAnUnreachableDatabase_namesTheTable() {
    assertThatThrownBy(() -> JdbcDeadLetterTable.<String>builder(UNREACHABLE, s -> s)
        .dialect(Dialect.H2).table("dead").createTableIfMissing().build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("could not create the dead-letter table dead (not reachable in a unit test)");
  }

  @Test
  void createTableSql_usesEachDialectsTypes() {
    assertThat(JdbcDeadLetterTable.createTableSql(Dialect.POSTGRESQL, "\"dead\""))
        .isEqualTo("CREATE TABLE IF NOT EXISTS \"dead\" (item_id varchar(255), item text not"
            + " null, sql_state varchar(5), message text not null, attempts int not null,"
            + " first_attempt timestamp with time zone not null, last_attempt timestamp with"
            + " time zone not null)");
    assertThat(JdbcDeadLetterTable.createTableSql(Dialect.MARIADB, "`dead`"))
        .contains("item longtext not null").contains("first_attempt datetime(6) not null");
    assertThat(JdbcDeadLetterTable.createTableSql(Dialect.H2, "\"dead\""))
        .contains("item clob not null").contains("last_attempt timestamp with time zone");
  }
}
