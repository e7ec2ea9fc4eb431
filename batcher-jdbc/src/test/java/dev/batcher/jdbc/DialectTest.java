package dev.batcher.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Proxy;
import java.sql.JDBCType;
import java.sql.SQLException;
import java.util.List;
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

  /**
   * MariaDB refuses a table, column or database name ending in ASCII whitespace ("Incorrect table
   * name 'trail '", 1103/1166/1102); PostgreSQL and H2 hold such names.
   */
  @Test
  void quote_mariadbNameEndingInWhitespace_isRejected_elsewhereAccepted() {
    assertThatThrownBy(() -> Dialect.MARIADB.quote("column", "trail "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("column name 'trail ' ends with whitespace (U+0020), which MARIADB refuses at"
            + " the end of a name");
    for (String end : List.of("\t", "\n", "\u000b", "\f", "\r", " ")) {
      assertThatThrownBy(() -> Dialect.MARIADB.quote("table", "t" + end))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("table name 't" + end + "' ends with whitespace (U+00");
      assertThat(Dialect.POSTGRESQL.quote("table", "t" + end)).isEqualTo("\"t" + end + "\"");
      assertThat(Dialect.H2.quote("table", "t" + end)).isEqualTo("\"t" + end + "\"");
    }
    // Leading spaces, and non-ASCII spaces at the end, the server holds.
    assertThat(Dialect.MARIADB.quote("column", " lead")).isEqualTo("` lead`");
    assertThat(Dialect.MARIADB.quote("column", "nbsp\u00a0")).isEqualTo("`nbsp\u00a0`");
    assertThat(Dialect.MARIADB.quote("column", "x\u001f")).isEqualTo("`x\u001f`");
  }

  @Test
  void quoteTable_mariadbSchemaEndingInASpace_isNamedAsTheSchema() {
    assertThatThrownBy(() -> Dialect.MARIADB.quoteTable("app ", "likes"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("schema name 'app ' ends with whitespace (U+0020), which MARIADB refuses at"
            + " the end of a name");
  }

  @Test
  void quoteTable_mariadbMysql50Prefix_isRejected_inTablesAndSchemasOnly() {
    assertThatThrownBy(() -> Dialect.MARIADB.quoteTable("#mysql50#likes"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("table name '#mysql50#likes' starts with #mysql50#, which MARIADB keeps for"
            + " names from before MySQL 5.1 and refuses in a table name");
    assertThatThrownBy(() -> Dialect.MARIADB.quoteTable("#mysql50#app", "likes"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("schema name '#mysql50#app' starts with #mysql50#");
    assertThat(Dialect.MARIADB.quote("column", "#mysql50#c")).isEqualTo("`#mysql50#c`");
    assertThat(Dialect.POSTGRESQL.quoteTable("#mysql50#likes")).isEqualTo("\"#mysql50#likes\"");
  }

  @Test
  void quote_null_isNamed() {
    assertThatThrownBy(() -> Dialect.H2.quote("column", null))
        .isInstanceOf(NullPointerException.class).hasMessage("column name");
    assertThatThrownBy(() -> Dialect.H2.quoteTable("app", null))
        .isInstanceOf(NullPointerException.class).hasMessage("parts[1]");
  }

  @Test
  void sameMariaDbColumnName_comparesTheLowerCaseOfEachCharacter() {
    // Pairs the server refused as "Duplicate column name" (10.11), and pairs it held apart.
    assertThat(Dialect.sameMariaDbColumnName("Ab", "aB")).isTrue();
    assertThat(Dialect.sameMariaDbColumnName("\u00ff", "\u0178")).isTrue(); // ÿ Ÿ
    assertThat(Dialect.sameMariaDbColumnName("i", "\u0130")).isTrue(); // i İ
    assertThat(Dialect.sameMariaDbColumnName("K", "\u212a")).isTrue(); // Kelvin sign
    assertThat(Dialect.sameMariaDbColumnName("e", "\u00e9")).isFalse(); // e é
    assertThat(Dialect.sameMariaDbColumnName("ss", "\u00df")).isFalse(); // ss ß
    assertThat(Dialect.sameMariaDbColumnName("I", "\u0131")).isFalse(); // I ı
    assertThat(Dialect.sameMariaDbColumnName("\u00b5", "\u03bc")).isFalse(); // µ μ
    assertThat(Dialect.sameMariaDbColumnName("a", "a ")).isFalse();
  }

  @Test
  void build_refusesMariadbColumnsDifferingOnlyInCase_elsewhereAccepted() {
    assertThatThrownBy(() -> builder(Dialect.MARIADB).table("likes")
        .column("Ab", JDBCType.BIGINT, r -> r).column("aB", JDBCType.BIGINT, r -> r).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("columns 'Ab' and 'aB' differ only in case, and MARIADB column names are"
            + " case-insensitive: they name one column");
    for (Dialect d : List.of(Dialect.POSTGRESQL, Dialect.H2)) {
      assertThat(builder(d).table("likes").column("Ab", JDBCType.BIGINT, r -> r)
          .column("aB", JDBCType.BIGINT, r -> r).build()).isNotNull();
    }
  }

  @Test
  void build_refusesAMariadbColumnEndingInASpace() {
    assertThatThrownBy(() -> builder(Dialect.MARIADB).table("likes")
        .column("id ", JDBCType.BIGINT, r -> r).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("column name 'id ' ends with whitespace (U+0020), which MARIADB refuses at"
            + " the end of a name");
  }

  @Test
  void build_keyColumnsMatchExactly_caseIncluded_andSaySo() {
    for (Dialect d : Dialect.values()) {
      assertThatThrownBy(() -> JdbcSink.<Long>builder(unreachable()).dialect(d).table("likes")
          .column("Id", JDBCType.BIGINT, r -> r).column("n", JDBCType.BIGINT, r -> r)
          .keyColumns("id").strategy(WriteStrategy.UPSERT).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("key column 'id' is not among the columns [Id, n] (names match exactly,"
              + " case included: 'Id'?)");
    }
  }

  @Test
  void builder_nullsInVarargs_nameTheArgumentAndIndex() {
    assertThatThrownBy(() -> builder(Dialect.H2).keyColumns("a", null))
        .isInstanceOf(NullPointerException.class).hasMessage("keyColumns[1]");
    assertThatThrownBy(() -> builder(Dialect.H2).table("app", null))
        .isInstanceOf(NullPointerException.class).hasMessage("table[1]");
    assertThatThrownBy(() -> JdbcDeadLetterTable.<Long>builder(unreachable(), String::valueOf)
        .table(null, "dead"))
        .isInstanceOf(NullPointerException.class).hasMessage("table[0]");
  }

  /** A builder whose data source is never asked for a connection: the dialect is set. */
  private static JdbcSink.Builder<Long> builder(Dialect dialect) {
    return JdbcSink.<Long>builder(unreachable()).dialect(dialect)
        .strategy(WriteStrategy.MULTI_ROW);
  }

  private static DataSource unreachable() {
    return (DataSource) Proxy.newProxyInstance(
        DataSource.class.getClassLoader(), new Class<?>[] {DataSource.class},
        (proxy, method, args) -> {
          throw new SQLException("not reachable in a unit test");
        });
  }
}
