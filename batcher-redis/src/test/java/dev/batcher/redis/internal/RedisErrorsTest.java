package dev.batcher.redis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.RetryPolicy;
import dev.batcher.redis.internal.RedisErrors.Kind;
import java.net.SocketException;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/** Each error reply, as Redis words it, and what it is about. */
class RedisErrorsTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      WRONGTYPE Operation against a key holding the wrong kind of value | ITEM
      ERR value is not an integer or out of range                      | ITEM
      ERR syntax error                                                 | ITEM
      ERR unknown command 'FOO', with args beginning with:             | ITEM
      ERR wrong number of arguments for 'set' command                  | ITEM
      BUSYKEY Target key name already exists.                          | ITEM
      EXECABORT Transaction discarded because of previous errors.      | ITEM
      LOADING Redis is loading the dataset in memory                   | RETRYABLE
      BUSY Redis is busy running a script.                             | RETRYABLE
      OOM command not allowed when used memory > 'maxmemory'.          | RETRYABLE
      READONLY You can't write against a read only replica.            | RETRYABLE
      TRYAGAIN Multiple keys request during rehashing of slot          | RETRYABLE
      MASTERDOWN Link with MASTER is down                              | RETRYABLE
      CLUSTERDOWN The cluster is down                                  | RETRYABLE
      NOREPLICAS Not enough good replicas to write.                    | RETRYABLE
      MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk | RETRYABLE
      MOVED 3999 127.0.0.1:6381                                        | ITEM
      ASK 3999 127.0.0.1:6381                                          | ITEM
      NOSCRIPT No matching script. Please use EVAL.                    | ITEM
      NOAUTH Authentication required.                                  | ACCESS
      WRONGPASS invalid username-password pair or user is disabled.    | ACCESS
      NOPERM this user has no permissions to run the 'set' command     | ACCESS
      """)
  void classify_byTheErrorCode(String message, Kind kind) {
    assertThat(RedisErrors.classify(message)).isEqualTo(kind);
  }

  @ParameterizedTest(name = "[{0}]")
  @CsvSource(delimiter = '|', nullValues = "null", textBlock = """
      null          | ''
      ''            | ''
      '  loading x' | LOADING
      WRONGTYPE     | WRONGTYPE
      """)
  void code_isTheFirstWord_upperCase(String message, String code) {
    assertThat(RedisErrors.code(message)).isEqualTo(code);
  }

  @Test
  void withHint_redirectionAndNoScript_sayWhatToDo_keepTheCode() {
    JedisDataException moved = new JedisDataException("MOVED 3999 127.0.0.1:6381");
    JedisDataException hinted = RedisErrors.withHint(moved);
    assertThat(hinted).hasMessageStartingWith("MOVED 3999").hasMessageContaining("Redis Cluster")
        .hasCause(moved);
    assertThat(RedisErrors.withHint(new JedisDataException("NOSCRIPT No matching script.")))
        .hasMessageContaining("use EVAL");
    JedisDataException wrongType = new JedisDataException("WRONGTYPE Operation");
    assertThat(RedisErrors.withHint(wrongType)).isSameAs(wrongType);
  }

  @Test
  void forRetryPolicy_accessIsNotRetried_connectionIs_anythingElseIsNot() {
    var retry = RetryPolicy.defaultClassifier();
    RuntimeException access = new JedisException("Could not get a resource from the pool",
        new JedisAccessControlException("WRONGPASS invalid username-password pair"));
    assertThat(retry.test(access)).as("unwrapped, the default classifier retries it").isTrue();
    RuntimeException wrapped = RedisErrors.forRetryPolicy(access, "borrowing a connection");
    assertThat(wrapped).isInstanceOf(IllegalArgumentException.class).hasCause(access)
        .hasMessageContaining("WRONGPASS");
    assertThat(retry.test(wrapped)).isFalse();

    RuntimeException lost = new JedisConnectionException(new SocketException("reset"));
    assertThat(RedisErrors.forRetryPolicy(lost, "reading")).isSameAs(lost);
    RuntimeException noConnection = new JedisException("Could not get a resource from the pool",
        new NoSuchElementException("Timeout waiting for idle object"));
    assertThat(RedisErrors.forRetryPolicy(noConnection, "borrowing")).isSameAs(noConnection);

    RuntimeException odd = new IllegalStateException("It is not allowed to create Pipeline");
    RuntimeException other = RedisErrors.forRetryPolicy(odd, "borrowing a connection");
    assertThat(other).hasCause(odd).hasMessageContaining(IllegalStateException.class.getName());
    assertThat(retry.test(other)).isFalse();
  }
}
