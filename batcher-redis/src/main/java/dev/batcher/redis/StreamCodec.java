package dev.batcher.redis;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import java.util.function.Function;

/**
 * Turns an item into the fields of a Redis stream entry and back: the producer ({@link
 * RedisStreamSink}) encodes, the worker ({@link StreamWorker}) decodes. Bring your own format
 * (JSON, a few plain fields); this module depends on no serialization library.
 *
 * <pre>{@code
 * StreamCodec<Like> codec = StreamCodec.ofString(
 *     like -> like.id() + ":" + like.postId() + ":" + like.userId(), Like::parse);
 * }</pre>
 *
 * <p>{@link #encode} runs on the producing batcher's worker thread, {@link #decode} on the stream
 * worker's thread; both must be thread-safe if the codec is shared. Neither may return null.
 * Whatever {@code decode} throws makes the entry a poison entry: it goes to the worker's {@link
 * StreamDeadLetterHandler} and is acknowledged, never retried, since decoding it again gives the
 * same answer.
 *
 * @param <T> the item type
 */
public interface StreamCodec<T> {

  /**
   * {@return the fields of {@code item}'s stream entry: at least one, no null names or values}
   *
   * @param item the item
   * @throws Exception if the item cannot be encoded: it fails alone, for good
   */
  Map<String, String> encode(T item) throws Exception;

  /**
   * {@return the item of a stream entry with {@code fields}}
   *
   * @param fields the entry's fields, as {@link #encode} wrote them (or as another producer did)
   * @throws Exception if the fields are not an item: the entry is dead-lettered and acknowledged
   */
  T decode(Map<String, String> fields) throws Exception;

  /**
   * {@return a codec that keeps each item as one string, in the field {@value #FIELD}}
   *
   * @param <T> the item type
   * @param encode an item as a string
   * @param decode a string back to an item; what it throws makes the entry a poison entry
   * @throws NullPointerException if an argument is null
   */
  static <T> StreamCodec<T> ofString(Function<? super T, String> encode,
      Function<String, ? extends T> decode) {
    requireNonNull(encode, "encode");
    requireNonNull(decode, "decode");
    return new StreamCodec<>() {
      @Override
      public Map<String, String> encode(T item) {
        return Map.of(FIELD, encode.apply(item));
      }

      @Override
      public T decode(Map<String, String> fields) {
        String value = fields.get(FIELD);
        if (value == null) {
          throw new IllegalArgumentException("the entry has no field '" + FIELD + "'; its fields: "
              + fields.keySet());
        }
        return decode.apply(value);
      }

      @Override
      public String toString() {
        return "StreamCodec.ofString";
      }
    };
  }

  /** The field in which {@link #ofString} keeps an item: {@value}. */
  String FIELD = "item";
}
