package dev.batcher.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Proxy;
import java.sql.JDBCType;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** Identifiers are quoted exactly as given, and names the database cannot hold are refused. */
class DialectTest {
  private static final String HOSTILE = "DROP TABLE x; --";

  @Test
  void quote_doublesTheDialectsQuoteAndKeepsEverythingElse() {
    assertThat(Dialect.POSTGRESQL.quote("table", "we\"ird")).isEqualTo("\"we\"\"ird\"");
    assertThat(Dialect.H2.quote("table", "we\"ird")).isEqualTo("\"we\"\"ird\"");
    assertThat(Dialect.MARIADB.quote("table", "we\"ird")).isEqualTo("`we\"ird`");
    assertThat(Dialect.MARIADB.quote("table", "back`tick")).isEqualTo("`back``tick`");
    assertThat(Dialect.POSTGRESQL.quote("table", "back`tick")).isEqualTo("\"back`tick\"");
    assertThat(Dialect.POSTGRESQL.quote("column", HOSTILE)).isEqualTo("\"DROP TABLE x; --\"");
    assertThat(Dialect.MARIADB.quote("column", HOSTILE)).isEqualTo("`DROP TABLE x; --`");
    assertThat(Dialect.H2.quote("column", "MixedCase")).isEqualTo("\"MixedCase\"");
    assertThat(Dialect.POSTGRESQL.quote("column", "with space")).isEqualTo("\"with space\"");
  }

  @Test
  void quoteTable_quotesEachPart() {
    assertThat(Dialect.POSTGRESQL.quoteTable("app", "a.b")).isEqualTo("\"app\".\"a.b\"");
    assertThat(Dialect.MARIADB.quoteTable("app", "a`b")).isEqualTo("`app`.`a``b`");
  }

  @Test
  void quote_empty_isRejected() {
    assertThatThrownBy(() -> Dialect.H2.quote("column", ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("column name must not be empty");
  }

  @Test
  void quote_nul_isRejected() {
    assertThatThrownBy(() -> Dialect.MARIADB.quote("table", "a\0b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("table name must not contain a NUL character: 'a\\0b'");
  }

  @Test
  void quote_mariadbNameBeyondTheBasicPlane_isRejected_elsewhereAccepted() {
    String name = "likes\uD83D\uDE00"; // an emoji: MariaDB stores names as utf8mb3
    assertThatThrownBy(() -> Dialect.MARIADB.quote("column", name))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("column name '" + name + "' has a character beyond U+FFFF (such as an emoji),"
            + " which MARIADB cannot hold in a name: it stores names as utf8mb3");
    assertThat(Dialect.MARIADB.quote("column", "\u00dcn\u00ef c\u00f4de")).isEqualTo("`\u00dcn\u00ef c\u00f4de`");
    assertThat(Dialect.POSTGRESQL.quote("column", name)).isEqualTo("\"" + name + "\"");
    assertThat(Dialect.H2.quote("column", name)).isEqualTo("\"" + name + "\"");
  }

  @Test
  void quote_postgres64Bytes_isRejected_63Accepted() {
    String e32 = "é".repeat(32); // 32 characters, 64 bytes of UTF-8
    assertThatThrownBy(() -> Dialect.POSTGRESQL.quote("table", e32))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("table name '" + e32 + "' is 64 bytes long; POSTGRESQL allows at most 63");
    assertThat(Dialect.POSTGRESQL.quote("table", "a".repeat(63))).hasSize(65);
    assertThat(Dialect.MARIADB.quote("table", e32)).hasSize(34); // MariaDB counts characters
  }

  @Test
  void build_refusesATableNameWithNul() {
    assertThatThrownBy(() -> builder(Dialect.POSTGRESQL).table("li\0kes")
        .column("id", JDBCType.BIGINT, r -> r).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("table name must not contain a NUL character: 'li\\0kes'");
  }

  @Test
  void build_refusesAnEmptyColumnName() {
    assertThatThrownBy(() -> builder(Dialect.MARIADB).table("likes")
        .column("", JDBCType.BIGINT, r -> r).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("column name must not be empty");
  }

  @Test
  void build_refusesAnEmptyTableName() {
    assertThatThrownBy(() -> builder(Dialect.H2).table("")
        .column("id", JDBCType.BIGINT, r -> r).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("table name must not be empty");
  }

  @Test
  void build_refusesA64BytePostgresColumnName() {
    String name = "c".repeat(64);
    assertThatThrownBy(() -> builder(Dialect.POSTGRESQL).table("likes")
        .column(name, JDBCType.BIGINT, r -> r).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("column name '" + name + "' is 64 bytes long; POSTGRESQL allows at most 63");
  }

  /** A builder whose data source is never asked for a connection: the dialect is set. */
  private static JdbcSink.Builder<Long> builder(Dialect dialect) {
    DataSource unreachable = (DataSource) Proxy.newProxyInstance(
        DataSource.class.getClassLoader(), new Class<?>[] {DataSource.class},
        (proxy, method, args) -> {
          throw new SQLException("not reachable in a unit test");
        });
    return JdbcSink.<Long>builder(unreachable).dialect(dialect)
        .strategy(WriteStrategy.MULTI_ROW);
  }
}
