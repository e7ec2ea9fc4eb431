package dev.batcher;

/** Why an item was refused at submit time; a refused item was never accepted and never written. */
public enum RefusalReason {
  /** The queue was full under {@link OverflowPolicy#FAIL} or {@link OverflowPolicy#DROP_OLDEST}. */
  QUEUE_FULL,
  /** The queue stayed full for the whole {@link BatcherBuilder#blockTimeout blockTimeout}. */
  BLOCK_TIMEOUT,
  /** The producer was interrupted while waiting for room. */
  INTERRUPTED,
  /** The batcher was closing or closed. */
  CLOSED,
  /** The item alone weighs more than {@link BatcherBuilder#maxBatchWeight maxBatchWeight}. */
  TOO_HEAVY,
  /**
   * The {@link BatcherBuilder#coalesce coalesce} key or merge function threw (anything but a
   * {@link VirtualMachineError}, which is rethrown), or the merge returned null.
   */
  MERGE_FAILED,
  /**
   * The {@link BatcherBuilder#weigher weigher} threw (anything but a {@link VirtualMachineError},
   * which is rethrown) or returned a negative weight.
   */
  WEIGHER_FAILED
}
