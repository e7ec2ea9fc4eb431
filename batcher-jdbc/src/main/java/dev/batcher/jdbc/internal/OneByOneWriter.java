package dev.batcher.jdbc.internal;

import dev.batcher.BatchResult;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * {@code ONE_BY_ONE}: one execute per item, in the batch's transaction. It always knows which
 * item failed: the one whose execute threw.
 *
 * <p>Internal: not API, may change in any release.
 */
public final class OneByOneWriter<T> implements RowWriter<T> {
  private final String sql;
  private final Binding<T> binding;

  public OneByOneWriter(String sql, Binding<T> binding) {
    this.sql = sql;
    this.binding = binding;
  }

  /** One INSERT per item: one statement for one item. */
  @Override
  public boolean oneStatement(List<T> batch) {
    return batch.size() == 1;
  }

  @Override
  public @Nullable BatchResult write(Connection c, List<T> batch, StatementCounts counts)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < batch.size(); i++) {
        try {
          binding.bind(ps, 1, batch.get(i));
          ps.executeUpdate();
        } catch (SQLException e) {
          counts.sent(1);
          throw new FailedItem(i, e);
        }
        counts.sent(1);
      }
    }
    return null;
  }
}
