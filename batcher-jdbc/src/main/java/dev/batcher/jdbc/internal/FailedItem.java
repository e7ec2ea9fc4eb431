package dev.batcher.jdbc.internal;

import java.sql.SQLException;

/**
 * A statement failure that a writer traced to one item of the batch: the sink fails that item
 * and sends the others again at once (poison pinpointing). Keeps the original's SQLState and
 * vendor code; the original is the cause.
 *
 * <p>Internal: not API, may change in any release.
 */
public final class FailedItem extends SQLException {
  private static final long serialVersionUID = 1L;

  private final int index;

  public FailedItem(int index, SQLException cause) {
    super(cause.getMessage(), cause.getSQLState(), cause.getErrorCode(), cause);
    this.index = index;
  }

  /** The index in the batch of the item that failed. */
  public int index() {
    return index;
  }
}
