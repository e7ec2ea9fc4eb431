package dev.batcher.jdbc;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Objects;
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

  /** MariaDB's prefix for names from before MySQL 5.1, refused in a table or database name. */
  private static final String MYSQL50_PREFIX = "#mysql50#";

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
   *     character beyond U+FFFF, such as an emoji (names are stored as utf8mb3), or a last
   *     character that is a space, a tab, a line break, a vertical tab or a form feed (the server
   *     refuses such a table, column or database name as "Incorrect ... name")
   * @throws NullPointerException if {@code what} or {@code identifier} is null
   */
  public String quote(String what, String identifier) {
    Objects.requireNonNull(what, "what");
    Objects.requireNonNull(identifier, () -> what + " name");
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
    if (this == MARIADB && endsWithAsciiSpace(identifier)) {
      char last = identifier.charAt(identifier.length() - 1);
      throw new IllegalArgumentException(String.format(Locale.ROOT,
          "%s name '%s' ends with whitespace (U+%04X), which MARIADB refuses at the end of a name",
          what, identifier, (int) last));
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
   * The last part is called the table in error messages, the parts before it the schema.
   *
   * @param parts the name's parts, schema first, each unquoted
   * @return the quoted parts, joined by dots
   * @throws IllegalArgumentException as for {@link #quote(String, String)}, and on MariaDB/MySQL
   *     for a part that starts with {@code #mysql50#} (the server's prefix for names of tables and
   *     databases from before 5.1, which it refuses in a new name)
   * @throws NullPointerException if {@code parts} or one of them is null ({@code parts[1]})
   */
  public String quoteTable(String... parts) {
    Objects.requireNonNull(parts, "parts");
    if (parts.length == 0) {
      throw new IllegalArgumentException("table name must not be empty");
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < parts.length; i++) {
      String part = Objects.requireNonNull(parts[i], "parts[" + i + "]");
      String what = i == parts.length - 1 ? "table" : "schema";
      if (this == MARIADB && part.startsWith(MYSQL50_PREFIX)) {
        throw new IllegalArgumentException(what + " name '" + part + "' starts with "
            + MYSQL50_PREFIX + ", which MARIADB keeps for names from before MySQL 5.1 and refuses"
            + " in a " + what + " name");
      }
      if (sb.length() > 0) {
        sb.append('.');
      }
      sb.append(quote(what, part));
    }
    return sb.toString();
  }

  /**
   * {@return whether MariaDB/MySQL takes the column names {@code a} and {@code b} for one column}
   * Its column names are case-insensitive: they are compared by the lower case of each character
   * ({@code "Ab"} and {@code "aB"}, {@code "K"} and the Kelvin sign). Java's case mapping is newer
   * than the server's utf8mb3 tables, so a few pairs that the server tells apart are taken for one
   * here too (Georgian and Cherokee capitals, the capital sharp s {@code ẞ}): refused, never let
   * through.
   */
  static boolean sameMariaDbColumnName(String a, String b) {
    if (a.codePointCount(0, a.length()) != b.codePointCount(0, b.length())) {
      return false;
    }
    int[] x = a.codePoints().map(Character::toLowerCase).toArray();
    int[] y = b.codePoints().map(Character::toLowerCase).toArray();
    return Arrays.equals(x, y);
  }

  /** The characters MariaDB's {@code my_isspace} sees as space, refused at the end of a name. */
  private static boolean endsWithAsciiSpace(String identifier) {
    char last = identifier.charAt(identifier.length() - 1);
    return last == ' ' || (last >= '\t' && last <= '\r');
  }
}
