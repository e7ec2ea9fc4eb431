package dev.batcher.jdbc;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * The SQL dialects a {@link JdbcSink} speaks, detected from the connection's metadata or set on the
 * builder. A dialect decides how identifiers are quoted and how long they may be, which {@link
 * WriteStrategy strategies} it supports and which one is its default.
 *
 * <p>Thread-safe (an enum).
 */
public enum Dialect {
  /** PostgreSQL: identifiers in double quotes, at most 63 bytes; every strategy. */
  POSTGRESQL('"', 63, WriteStrategy.UNNEST, EnumSet.allOf(WriteStrategy.class)),
  /** MariaDB and MySQL: identifiers in backticks, at most 64 characters; no UNNEST or COPY. */
  MARIADB('`', 64, WriteStrategy.MULTI_ROW,
      EnumSet.complementOf(EnumSet.of(WriteStrategy.UNNEST, WriteStrategy.COPY))),
  /** H2: identifiers in double quotes, at most 256 characters; no UNNEST or COPY. */
  H2('"', 256, WriteStrategy.MULTI_ROW,
      EnumSet.complementOf(EnumSet.of(WriteStrategy.UNNEST, WriteStrategy.COPY)));

  private final char quote;
  private final int maxIdentifierLength;
  private final WriteStrategy defaultStrategy;
  private final Set<WriteStrategy> strategies;

  Dialect(char quote, int maxIdentifierLength, WriteStrategy defaultStrategy,
      Set<WriteStrategy> strategies) {
    this.quote = quote;
    this.maxIdentifierLength = maxIdentifierLength;
    this.defaultStrategy = defaultStrategy;
    this.strategies = strategies;
  }

  /**
   * Detects the dialect of {@code connection} from its database product name.
   *
   * @param connection an open connection to the database
   * @return the dialect that database speaks
   * @throws SQLException if the metadata cannot be read
   * @throws IllegalArgumentException if the database is none of these
   */
  public static Dialect detect(Connection connection) throws SQLException {
    String product = connection.getMetaData().getDatabaseProductName();
    String p = product == null ? "" : product.toLowerCase(Locale.ROOT);
    if (p.contains("postgres")) {
      return POSTGRESQL;
    } else if (p.contains("mariadb") || p.contains("mysql")) {
      return MARIADB;
    } else if (p.equals("h2")) {
      return H2;
    }
    throw new IllegalArgumentException("unsupported database '" + product
        + "': set the dialect (POSTGRESQL, MARIADB or H2) if it speaks one of them");
  }

  /** {@return the strategy a sink uses on this dialect unless told otherwise} */
  public WriteStrategy defaultStrategy() {
    return defaultStrategy;
  }

  /**
   * {@return whether this dialect can write with {@code strategy}}
   *
   * @param strategy a write strategy
   */
  public boolean supports(WriteStrategy strategy) {
    return strategies.contains(strategy);
  }

  /**
   * {@return {@code identifier} quoted for this dialect, exactly as given: a name with a quote, a
   * semicolon, a space or mixed case names exactly that table or column}
   *
   * @param what what the identifier names, for the error message ("table", "column")
   * @param identifier the name, unquoted
   * @throws IllegalArgumentException if the database cannot hold the name: empty, a NUL character,
   *     longer than this dialect allows (PostgreSQL: 63 bytes of UTF-8), or on MariaDB/MySQL a
   *     character beyond U+FFFF, such as an emoji (names are stored as utf8mb3)
   */
  public String quote(String what, String identifier) {
    if (identifier.isEmpty()) {
      throw new IllegalArgumentException(what + " name must not be empty");
    }
    if (identifier.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(what + " name must not contain a NUL character: '"
          + identifier.replace("\0", "\\0") + "'");
    }
    if (this == MARIADB && identifier.codePoints().anyMatch(Character::isSupplementaryCodePoint)) {
      throw new IllegalArgumentException(what + " name '" + identifier + "' has a character"
          + " beyond U+FFFF (such as an emoji), which MARIADB cannot hold in a name: it stores"
          + " names as utf8mb3");
    }
    int length = this == POSTGRESQL
        ? identifier.getBytes(StandardCharsets.UTF_8).length
        : identifier.codePointCount(0, identifier.length());
    if (length > maxIdentifierLength) {
      throw new IllegalArgumentException(what + " name '" + identifier + "' is " + length
          + (this == POSTGRESQL ? " bytes" : " characters") + " long; " + this + " allows at most "
          + maxIdentifierLength);
    }
    String q = String.valueOf(quote);
    return q + identifier.replace(q, q + q) + q;
  }

  /**
   * Quotes a possibly schema-qualified table name given as its parts ({@code "public", "likes"}).
   *
   * @param parts the name's parts, schema first, each unquoted
   * @return the quoted parts, joined by dots
   * @throws IllegalArgumentException as for {@link #quote(String, String)}
   */
  public String quoteTable(String... parts) {
    if (parts.length == 0) {
      throw new IllegalArgumentException("table name must not be empty");
    }
    StringBuilder sb = new StringBuilder();
    for (String part : parts) {
      if (sb.length() > 0) {
        sb.append('.');
      }
      sb.append(quote("table", part));
    }
    return sb.toString();
  }
}
