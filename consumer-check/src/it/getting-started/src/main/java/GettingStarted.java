// The program of docs/getting-started.md, step by step: a pool, a sink, a batcher, likes
// submitted, everything closed. The consumer check builds this project (its pom.xml is the
// page's) against the artifacts we publish and runs it against PostgreSQL; the guide's samples
// are its tagged regions, and its last sample is the whole file from the imports on.
// tag::getting-started-program[]
// tag::getting-started-imports[]
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.batcher.Batcher;
import dev.batcher.jdbc.JdbcSink;
import java.sql.JDBCType;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
// end::getting-started-imports[]

/** Likes written to PostgreSQL in batches: the program of batcher's getting-started guide. */
public final class GettingStarted {
  // tag::getting-started-item[]
  record Like(long postId, long userId) {}

  private static final Logger log = LoggerFactory.getLogger(GettingStarted.class);
  // end::getting-started-item[]

  private GettingStarted() {}

  /** Writes 10,000 likes of post 42 to the database that {@code LIKES_JDBC_URL} names. */
  public static void main(String[] args) {
    // tag::getting-started-pool[]
    String jdbcUrl = System.getenv().getOrDefault("LIKES_JDBC_URL",
        "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres"); // add &password=... if needed
    // end::getting-started-pool[]
    run(jdbcUrl, 10_000);
  }

  /** The pool on {@code jdbcUrl}. */
  static HikariDataSource pool(String jdbcUrl) {
    // tag::getting-started-pool[]
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(jdbcUrl);
    config.setMaximumPoolSize(4); // at least the batcher's maxInFlightBatches (default 1)
    config.setConnectionTimeout(5_000); // ms; with the timeouts below, well under deliveryTimeout
    config.addDataSourceProperty("options", "-c statement_timeout=20s -c lock_timeout=5s");
    HikariDataSource dataSource = new HikariDataSource(config);
    // end::getting-started-pool[]
    return dataSource;
  }

  /** Starts up, stands for {@code requests} requests that each like post 42, and shuts down. */
  static void run(String jdbcUrl, int requests) {
    HikariDataSource dataSource = pool(jdbcUrl);
    // tag::getting-started-sink[]
    JdbcSink<Like> sink = JdbcSink.<Like>builder(dataSource)
        .table("likes")
        .column("post_id", JDBCType.BIGINT, Like::postId)
        .column("user_id", JDBCType.BIGINT, Like::userId)
        .build(); // reads the dialect from a connection: PostgreSQL, so one UNNEST insert per batch
    // end::getting-started-sink[]
    // tag::getting-started-batcher[]
    Batcher<Like> likes = Batcher.builder(sink)
        .name("likes") // names its threads: batcher-likes-flush-1
        .maxBatchSize(1000)
        .maxDelay(Duration.ofMillis(5)) // the oldest like waits at most 5 ms (+10% jitter)
        .build();
    // end::getting-started-batcher[]
    // tag::getting-started-submit[]
    for (long user = 1; user <= requests; user++) { // each pass stands for one request
      Like like = new Like(42, user);
      likes.submit(like).whenComplete((ok, error) -> {
        if (error != null) { // refused, dropped or failed: the exception's type says which
          // one line each, no stack trace: the batcher logs the causes, at most one line per 10 s
          log.warn("like {} not stored: {}", like, error.getClass().getSimpleName());
        }
      });
    }
    // end::getting-started-submit[]
    // tag::getting-started-close[]
    likes.close(); // refuses new items, writes every accepted one, then returns
    dataSource.close(); // after the batcher: its last batches need connections
    // end::getting-started-close[]
    log.info("{} likes submitted; any that were not stored are logged above", requests);
  }
}
// end::getting-started-program[]
