package dev.batcher.redis;

import static java.util.Objects.requireNonNull;

import java.util.Map;

/**
 * A stream entry the {@link StreamWorker} gave up on, handed to its {@link
 * StreamDeadLetterHandler} before the entry is acknowledged: one that did not decode, or one
 * delivered more than {@code maxDeliveries} times (its item failed again and again without being
 * dead-lettered by the downstream batcher, or its workers kept crashing on it).
 *
 * <p>Immutable: the fields are copied. No component is null; {@code fields} is empty for an
 * entry that was deleted or trimmed from the stream while it was pending, and {@code deliveries}
 * is then 0 if Redis had already dropped the entry from the pending list (its count is gone).
 *
 * @param stream the stream's key
 * @param id the entry's id, as Redis wrote it ({@code 1700000000000-0})
 * @param fields the entry's fields, as the producer wrote them
 * @param deliveries how many times the entry was delivered to a consumer of the group; 0 when
 *     unknown
 * @param cause why it was given up: what the codec threw, or an {@link IllegalStateException}
 *     saying that it was delivered too often
 */
public record StreamDeadLetter(
    String stream, String id, Map<String, String> fields, long deliveries, Throwable cause) {

  /**
   * Checks the components and copies the fields.
   *
   * @param stream the stream's key
   * @param id the entry's id
   * @param fields the entry's fields
   * @param deliveries how many times the entry was delivered
   * @param cause why it was given up
   */
  public StreamDeadLetter {
    requireNonNull(stream, "stream");
    requireNonNull(id, "id");
    fields = Map.copyOf(requireNonNull(fields, "fields"));
    requireNonNull(cause, "cause");
  }
}
