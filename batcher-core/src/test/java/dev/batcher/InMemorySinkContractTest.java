package dev.batcher;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.batcher.InMemorySink.Flaw;
import dev.batcher.testing.BatchSinkContractTest;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The sink contract ({@link BatchSinkContractTest}) held by two in-memory sinks, an all-or-nothing
 * one and one that answers per item, and broken by flawed variants of them: each flaw must fail
 * the contract test of the promise it breaks, so the contract itself can fail.
 */
class InMemorySinkContractTest {

  /** All or nothing: a batch with poison throws, and the batcher bisects it. */
  @Nested
  class AllOrNothing extends InMemorySink.Contract {
    AllOrNothing() {
      super(true, Flaw.NONE);
    }
  }

  /** Per item: a batch with poison is answered with a per-item result. */
  @Nested
  class PerItem extends InMemorySink.Contract {
    PerItem() {
      super(false, Flaw.NONE);
    }
  }

  /** One test of the contract, run by hand around the contract's lifecycle methods. */
  @FunctionalInterface
  interface ContractTest {
    void run(InMemorySink.Contract contract) throws Exception;
  }

  /** Each flaw fails the contract test of the promise it breaks. */
  @Nested
  class Flawed {

    private void assertFails(boolean atomic, Flaw flaw, ContractTest test) throws Exception {
      InMemorySink.Contract contract = new InMemorySink.Contract(atomic, flaw);
      contract.startBatcher();
      try {
        assertThatThrownBy(() -> test.run(contract))
            .as("%s sink that %s", atomic ? "an atomic" : "a per-item", flaw)
            .isInstanceOf(AssertionError.class);
      } finally {
        contract.closeBatcher();
      }
    }

    @Test
    void partialAtomicWrite_failsAtomicityAndStoredOnce() throws Exception {
      assertFails(true, Flaw.PARTIAL_ATOMIC_WRITE,
          BatchSinkContractTest::failedCall_atomicStoresNothingOfItsBatch_otherwiseIsNeverSplit);
      assertFails(true, Flaw.PARTIAL_ATOMIC_WRITE,
          BatchSinkContractTest::batchWithPoison_goodItemsSucceed_poisonFailsAlone);
    }

    @Test
    void wholeBatchThrownForPoison_failsPerItemOutcomes() throws Exception {
      assertFails(false, Flaw.THROWS_WHOLE_BATCH_FOR_POISON,
          BatchSinkContractTest::batchWithPoison_goodItemsSucceed_poisonFailsAlone);
    }

    @Test
    void retryablePoison_failsClassification() throws Exception {
      assertFails(false, Flaw.POISON_RETRYABLE,
          BatchSinkContractTest::poison_isFailedPermanently_neverRetried);
    }

    @Test
    void itemsStoredButMarkedFailed_failNoDuplicatesAndTruthfulResults() throws Exception {
      assertFails(false, Flaw.STORES_ITEMS_IT_MARKS_FAILED,
          BatchSinkContractTest::retryAfterTransientFailure_storesNoItemTwice);
      assertFails(false, Flaw.STORES_ITEMS_IT_MARKS_FAILED,
          BatchSinkContractTest::answeredCall_storedExactlyWhatItReported);
    }

    @Test
    void transientReportedAsPermanent_failsClassification() throws Exception {
      assertFails(false, Flaw.TRANSIENT_AS_PERMANENT,
          BatchSinkContractTest::transientFailure_isRetriedThenSucceeds);
    }

    @Test
    void lostItem_failsStoredOnceAndTruthfulResults() throws Exception {
      assertFails(false, Flaw.LOSES_AN_ITEM, BatchSinkContractTest::goodBatch_everyItemStoredOnce);
      assertFails(false, Flaw.LOSES_AN_ITEM,
          BatchSinkContractTest::answeredCall_storedExactlyWhatItReported);
    }
  }
}
