package dev.batcher.redis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.redis.internal.RedisErrors.Kind;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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
      MOVED 3999 127.0.0.1:6381                                        | RETRYABLE
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
}
