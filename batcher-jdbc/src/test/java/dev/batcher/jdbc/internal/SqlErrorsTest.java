package dev.batcher.jdbc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.jdbc.internal.SqlErrors.Kind;
import java.sql.BatchUpdateException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLNonTransientException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransientConnectionException;
import java.sql.SQLTransientException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The SQLState table of {@link SqlErrors}, read through every shape of exception chain. */
class SqlErrorsTest {

  @ParameterizedTest
  @ValueSource(strings = {"40001", "40P01", "08006", "08001", "57P01", "57014", "55P03", "53300",
      "HYT00"})
  void retryableStates_areRetryable_whereverTheyAreInTheChain(String state) {
    assertEverywhere(new SQLException("x", state), Kind.RETRYABLE);
  }

  @ParameterizedTest
  @ValueSource(ints = {1213, 1205})
  void mysqlDeadlockAndLockWait_areRetryable(int code) {
    assertEverywhere(new SQLException("x", "HY000", code), Kind.RETRYABLE);
  }

  @ParameterizedTest
  @ValueSource(strings = {"22001", "22021", "23502", "23505", "23514"})
  void dataAndConstraintStates_areAboutAnItem(String state) {
    assertEverywhere(new SQLException("x", state), Kind.ITEM);
  }

  @ParameterizedTest
  @ValueSource(strings = {"42P01", "42703", "42601", "28P01", "21S01", "21S02"})
  void missingObjectsSyntaxAndAuthentication_areAboutTheBatch(String state) {
    assertEverywhere(new SQLException("x", state), Kind.BATCH);
  }

  @Test
  void postgresCardinalityViolation_isAboutItems() {
    // "ON CONFLICT DO UPDATE command cannot affect row a second time": two items share a key
    assertEverywhere(new SQLException("x", "21000"), Kind.ITEM);
  }

  @Test
  void retryableAnywhere_winsOverAnItemError() {
    BatchUpdateException b = new BatchUpdateException("batch", "23505", new int[0]);
    b.setNextException(new SQLException("deadlock", "40P01"));
    assertThat(SqlErrors.classify(b)).isEqualTo(Kind.RETRYABLE);
  }

  @Test
  void anItemErrorBesideABatchError_isAboutAnItem() {
    SQLException e = new SQLException("syntax", "42601", new SQLException("null", "23502"));
    assertThat(SqlErrors.classify(e)).isEqualTo(Kind.ITEM);
  }

  @Test
  void noSqlStateAtAll_isAboutAnItem_soTheBatchIsSplit() {
    assertThat(SqlErrors.classify(new IllegalStateException("value function threw")))
        .isEqualTo(Kind.ITEM);
  }

  @ParameterizedTest
  @ValueSource(strings = {"08006", "08001", "08003", "57P01", "57P02", "57P03"})
  void connectionStates_meanTheConnectionIsLost(String state) {
    assertThat(SqlErrors.isConnectionLost(new SQLException("x", state))).isTrue();
    assertThat(SqlErrors.isConnectionLost(nextOfBatch(new SQLException("x", state)))).isTrue();
    assertThat(SqlErrors.isConnectionLost(new RuntimeException(new SQLException("x", state))))
        .isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"40001", "40P01", "57014", "55P03", "23505", "42P01"})
  void otherStates_leaveTheConnectionUsable(String state) {
    assertThat(SqlErrors.isConnectionLost(nextOfBatch(new SQLException("x", state)))).isFalse();
  }

  @Test
  void sqlState_isTheFirstInTheChain() {
    assertThat(SqlErrors.sqlState(new RuntimeException(nextOfBatch(new SQLException("x", "22001")))))
        .isEqualTo("22001");
    assertThat(SqlErrors.sqlState(new RuntimeException("none"))).isNull();
  }

  @Test
  void forRetryPolicy_keepsStateCodeAndCause() {
    SQLException e = new SQLException("deadlock", "40P01", 7);
    SQLException r = SqlErrors.forRetryPolicy(e, Kind.RETRYABLE);
    assertThat((Throwable) r).isInstanceOf(SQLTransientException.class).hasMessage("deadlock").hasCause(e);
    assertThat(r.getSQLState()).isEqualTo("40P01");
    assertThat(r.getErrorCode()).isEqualTo(7);
    assertThat((Throwable) SqlErrors.forRetryPolicy(e, Kind.BATCH))
        .isInstanceOf(SQLNonTransientException.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"28000", "28P01", "3D000", "3F000", "42501", "0A000"})
  void aTransientClassWithAStateAboutNoItem_isAboutTheBatch(String state) {
    // HikariCP reports a refused login as SQLTransientConnectionException with SQLState 28000
    assertEverywhere(new SQLTransientConnectionException("Connection is not available", state,
        new SQLException("FATAL: role \"x\" does not exist", state)), Kind.BATCH);
    assertEverywhere(new SQLRecoverableException("x", state), Kind.BATCH);
  }

  @ParameterizedTest
  @ValueSource(strings = {"22003", "23505"})
  void aTransientClassWithAStateAboutAnItem_isAboutAnItem(String state) {
    assertEverywhere(new SQLTransientException("x", state), Kind.ITEM);
  }

  @ParameterizedTest
  @ValueSource(strings = {"HY000", "S1000", ""})
  void aTransientClassWhoseStateSaysNothing_isRetryable(String state) {
    assertEverywhere(new SQLTransientConnectionException("timed out", state), Kind.RETRYABLE);
    assertEverywhere(new SQLTimeoutException("timed out"), Kind.RETRYABLE);
  }

  @Test
  void mysqlPacketTooLarge_isAboutAnItem_andLosesTheConnection() {
    SQLException byCode = new SQLNonTransientConnectionException(
        "Got a packet bigger than 'max_allowed_packet' bytes", "08S01", 1153);
    assertEverywhere(byCode, Kind.ITEM);
    assertThat(SqlErrors.isConnectionLost(byCode)).isTrue();
    SQLException byMessage = new SQLTransientConnectionException(
        "(conn=7) Got a packet bigger than 'max_allowed_packet' bytes", "08S01");
    assertEverywhere(byMessage, Kind.ITEM);
    assertThat(SqlErrors.isConnectionLost(byMessage)).isTrue();
  }

  /** Asserts the kind of {@code e} alone, as a batch's next exception, and as a cause. */
  private static void assertEverywhere(SQLException e, Kind kind) {
    assertThat(SqlErrors.classify(e)).as("alone").isEqualTo(kind);
    assertThat(SqlErrors.classify(nextOfBatch(e))).as("next exception").isEqualTo(kind);
    assertThat(SqlErrors.classify(new SQLException("wrapper", null, e))).as("cause")
        .isEqualTo(kind);
    assertThat(SqlErrors.classify(new RuntimeException(nextOfBatch(e)))).as("deep")
        .isEqualTo(kind);
  }

  /** A batch failure without a state of its own, {@code e} as its next exception. */
  private static BatchUpdateException nextOfBatch(SQLException e) {
    BatchUpdateException b = new BatchUpdateException("batch entry failed", null, new int[0]);
    b.setNextException(e);
    return b;
  }
}
