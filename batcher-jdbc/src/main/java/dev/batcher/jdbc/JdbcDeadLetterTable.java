package dev.batcher.jdbc;

import static java.util.Objects.requireNonNull;

import dev.batcher.DeadLetter;
import dev.batcher.DeadLetterHandler;
import dev.batcher.jdbc.internal.SqlErrors;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Calendar;
import java.util.TimeZone;
import java.util.function.Function;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * A {@link DeadLetterHandler} that parks each dead letter as a row of a database table, where a
 * person or a repair job can find it and send it again. Each letter is written in its
 * <em>own</em> transaction on its own connection, so it is stored even when the batch it came
 * from was rolled back; the batcher counts it dead-lettered only once that commit succeeded.
 *
 * <pre>{@code
 * JdbcDeadLetterTable<Like> deadLetters = JdbcDeadLetterTable.builder(dataSource, Like::toJson)
 *     .table("likes_dead_letters")
 *     .createTableIfMissing()
 *     .build();
 * Batcher<Like> likes = Batcher.builder(sink).deadLetterHandler(deadLetters)
 *     .idFunction(Like::id).build();
 * }</pre>
 *
 * <p>The table's columns, created by {@link Builder#createTableIfMissing()} with the dialect's
 * types, or created by you with these names:
 *
 * <table>
 *   <caption>Dead-letter table columns</caption>
 *   <tr><th>column</th><th>holds</th></tr>
 *   <tr><td>{@code item_id}</td><td>the item's id from the batcher's {@code idFunction}, as text;
 *       NULL without one</td></tr>
 *   <tr><td>{@code item}</td><td>the item as text or JSON, from the function given to {@link
 *       #builder}</td></tr>
 *   <tr><td>{@code sql_state}</td><td>the first SQLState in the cause's chain; NULL if none</td>
 *   </tr>
 *   <tr><td>{@code message}</td><td>the cause: its class and message, at most {@value
 *       #MAX_MESSAGE_CHARS} characters</td></tr>
 *   <tr><td>{@code attempts}</td><td>how many sink calls the item was part of</td></tr>
 *   <tr><td>{@code first_attempt}, {@code last_attempt}</td><td>when the first and last of them
 *       started (UTC)</td></tr>
 * </table>
 *
 * <p>A NUL character in the item's text or the message is stored as the two characters {@code
 * \0}: PostgreSQL cannot hold it in text, and the item that failed may be one that carried it.
 *
 * <p>Thread-safe: the batcher may call it from several worker threads; each call takes its own
 * connection from the pool.
 *
 * @param <T> the item type
 */
public final class JdbcDeadLetterTable<T> implements DeadLetterHandler<T> {
  /** The longest message stored: {@value} characters; a longer one is cut. */
  public static final int MAX_MESSAGE_CHARS = 4_000;

  private static final String COLUMNS =
      "item_id, item, sql_state, message, attempts, first_attempt, last_attempt";

  private final DataSource dataSource;
  private final Dialect dialect;
  private final Function<? super T, String> itemText;
  private final String quotedTable;
  private final String insert;

  private JdbcDeadLetterTable(DataSource dataSource, Dialect dialect,
      Function<? super T, String> itemText, String quotedTable) {
    this.dataSource = dataSource;
    this.dialect = dialect;
    this.itemText = itemText;
    this.quotedTable = quotedTable;
    this.insert = "INSERT INTO " + quotedTable + " (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?)";
  }

  /**
   * {@return a builder for a table reached through {@code dataSource}, storing each item as
   * {@code itemText} prints it (its JSON, or {@code String::valueOf})}
   *
   * @param <T> the item type
   * @param dataSource where the table is
   * @param itemText how an item is written into the {@code item} column
   * @throws NullPointerException if an argument is null
   */
  public static <T> Builder<T> builder(DataSource dataSource, Function<? super T, String> itemText) {
    return new Builder<>(requireNonNull(dataSource, "dataSource"),
        requireNonNull(itemText, "itemText"));
  }

  /**
   * Writes {@code letter} as one row and commits it.
   *
   * @throws SQLException if it could not be stored (the batcher then fails the item with its own
   *     cause, this exception attached: it is never silently lost)
   */
  @Override
  public void handle(DeadLetter<T> letter) throws SQLException {
    String item = clean(String.valueOf(itemText.apply(letter.item())));
    Throwable cause = letter.cause();
    String message = clean(cause.getClass().getName() + ": " + cause.getMessage());
    if (message.length() > MAX_MESSAGE_CHARS) {
      message = message.substring(0, MAX_MESSAGE_CHARS);
    }
    try (Connection c = dataSource.getConnection()) {
      boolean autoCommit = c.getAutoCommit();
      c.setAutoCommit(false);
      try (PreparedStatement ps = c.prepareStatement(insert)) {
        ps.setString(1, letter.id() == null ? null : clean(String.valueOf(letter.id())));
        ps.setString(2, item);
        ps.setString(3, SqlErrors.sqlState(cause));
        ps.setString(4, message);
        ps.setInt(5, letter.attempts());
        setInstant(ps, 6, letter.firstAttempt());
        setInstant(ps, 7, letter.lastAttempt());
        ps.executeUpdate();
        c.commit();
      } catch (SQLException | RuntimeException e) {
        try {
          c.rollback();
        } catch (SQLException r) {
          e.addSuppressed(r);
        }
        throw e;
      } finally {
        c.setAutoCommit(autoCommit);
      }
    }
  }

  private void setInstant(PreparedStatement ps, int index, Instant instant) throws SQLException {
    if (dialect == Dialect.MARIADB) { // DATETIME has no zone: store UTC
      ps.setTimestamp(index, Timestamp.from(instant),
          Calendar.getInstance(TimeZone.getTimeZone(ZoneOffset.UTC)));
    } else {
      ps.setObject(index, OffsetDateTime.ofInstant(instant, ZoneOffset.UTC),
          Types.TIMESTAMP_WITH_TIMEZONE);
    }
  }

  private static String clean(String s) {
    return s.indexOf('\0') < 0 ? s : s.replace("\0", "\\0");
  }

  /** The {@code CREATE TABLE IF NOT EXISTS} statement of this dialect for {@code quotedTable}. */
  static String createTableSql(Dialect dialect, String quotedTable) {
    String text;
    String time;
    switch (dialect) {
      case POSTGRESQL:
        text = "text";
        time = "timestamp with time zone";
        break;
      case MARIADB:
        text = "longtext";
        time = "datetime(6)";
        break;
      case H2:
      default:
        text = "clob";
        time = "timestamp with time zone";
        break;
    }
    return "CREATE TABLE IF NOT EXISTS " + quotedTable + " (item_id varchar(255), item " + text
        + " not null, sql_state varchar(5), message " + text + " not null, attempts int not null,"
        + " first_attempt " + time + " not null, last_attempt " + time + " not null)";
  }

  @Override
  public String toString() {
    return "JdbcDeadLetterTable{" + quotedTable + ", " + dialect + "}";
  }

  /**
   * Builds a {@link JdbcDeadLetterTable}. Options are set once each. Not thread-safe.
   *
   * @param <T> the item type
   */
  public static final class Builder<T> {
    private final DataSource dataSource;
    private final Function<? super T, String> itemText;
    private String @Nullable [] table;
    private @Nullable Dialect dialect;
    private boolean createTable;

    private Builder(DataSource dataSource, Function<? super T, String> itemText) {
      this.dataSource = dataSource;
      this.itemText = itemText;
    }

    /**
     * Sets the table, as its parts ({@code table("app", "dead_letters")} for a schema-qualified
     * name), each quoted exactly as given. Required.
     *
     * @param nameParts the table name's parts, schema first
     * @return this builder
     */
    public Builder<T> table(String... nameParts) {
      this.table = TableNames.checked(nameParts, table);
      return this;
    }

    /**
     * Sets the dialect. Default: detected from a connection's metadata at {@link #build()}.
     *
     * @param dialect the SQL dialect of the database
     * @return this builder
     */
    public Builder<T> dialect(Dialect dialect) {
      requireNonNull(dialect, "dialect");
      if (this.dialect != null) {
        throw new IllegalStateException("dialect was already set to " + this.dialect);
      }
      this.dialect = dialect;
      return this;
    }

    /**
     * Creates the table at {@link #build()} if it does not exist. Default: it must exist.
     *
     * @return this builder
     */
    public Builder<T> createTableIfMissing() {
      this.createTable = true;
      return this;
    }

    /**
     * Builds the handler; detects the dialect and creates the table when asked, on a connection
     * of its own.
     *
     * @return the handler
     * @throws IllegalStateException if the table was not set, or the database could not be reached
     *     or the table created
     * @throws IllegalArgumentException if the table name cannot be held by the database
     */
    public JdbcDeadLetterTable<T> build() {
      if (table == null) {
        throw new IllegalStateException("table(...) is required");
      }
      String[] parts = table;
      Dialect d = dialect;
      if (d == null || createTable) {
        try (Connection c = dataSource.getConnection()) {
          d = d != null ? d : Dialect.detect(c);
          if (createTable) {
            try (Statement s = c.createStatement()) {
              s.execute(createTableSql(d, d.quoteTable(parts)));
            }
          }
        } catch (SQLException e) {
          throw new IllegalStateException("could not " + (d == null ? "detect the SQL dialect"
              : "create the dead-letter table " + String.join(".", parts)) + " ("
              + e.getMessage() + ")", e);
        }
      }
      return new JdbcDeadLetterTable<>(dataSource, d, itemText, d.quoteTable(parts));
    }
  }
}
