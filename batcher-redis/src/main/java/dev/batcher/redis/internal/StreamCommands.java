package dev.batcher.redis.internal;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.BuilderFactory;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.XAutoClaimParams;
import redis.clients.jedis.params.XClaimParams;
import redis.clients.jedis.params.XPendingParams;
import redis.clients.jedis.params.XReadGroupParams;
import redis.clients.jedis.resps.StreamEntry;
import redis.clients.jedis.resps.StreamPendingEntry;

/**
 * The Redis commands of one consumer of one consumer group on one stream, each one round trip:
 * create the group, read, claim idle entries, look up delivery counts, acknowledge. Throws what
 * Jedis throws ({@link redis.clients.jedis.exceptions.JedisException}); the caller decides.
 *
 * <p>Thread-safe as far as the client is (a pooled {@code RedisClient} is); used by the worker's
 * thread only. Internal: not API, may change in any release.
 */
public final class StreamCommands {
  /** The id before every entry: read a consumer's pending entries from the start, or scan all. */
  public static final StreamEntryID START = new StreamEntryID(0, 0);

  private final UnifiedJedis jedis;
  private final String stream;
  private final String group;
  private final String consumer;

  /** Commands of {@code consumer} in {@code group} on {@code stream}. */
  public StreamCommands(UnifiedJedis jedis, String stream, String group, String consumer) {
    this.jedis = jedis;
    this.stream = stream;
    this.group = group;
    this.consumer = consumer;
  }

  /** {@return the stream's key} */
  public String stream() {
    return stream;
  }

  /**
   * Creates the group at the start of the stream (so that it reads the entries written before it
   * existed), and the stream if absent ({@code MKSTREAM}). A group that exists is left as it is.
   */
  public void createGroup() {
    createGroup(START);
  }

  /**
   * Creates the group with its last-delivered id at {@code after}, so that it reads the entries
   * after it, and the stream if absent ({@code MKSTREAM}). A group that exists is left as it is.
   */
  public void createGroup(StreamEntryID after) {
    try {
      jedis.xgroupCreate(stream, group, after, true);
    } catch (JedisDataException e) {
      if (!RedisErrors.code(e.getMessage()).equals("BUSYGROUP")) {
        throw e;
      }
    }
  }

  /**
   * {@return up to {@code count} entries after {@code after}} {@link
   * StreamEntryID#XREADGROUP_UNDELIVERED_ENTRY} ({@code >}) reads entries never delivered to the
   * group, waiting up to {@code blockMillis} for one when there are none (0: not at all); any
   * other id re-reads this consumer's own pending entries after it, without waiting.
   */
  public List<StreamEntry> read(StreamEntryID after, int count, long blockMillis) {
    XReadGroupParams params = XReadGroupParams.xReadGroupParams().count(count);
    if (blockMillis > 0) { // BLOCK 0 would wait forever
      params.block((int) Math.min(blockMillis, Integer.MAX_VALUE));
    }
    List<Map.Entry<String, List<StreamEntry>>> reply =
        jedis.xreadGroup(group, consumer, params, Map.of(stream, after));
    if (reply == null || reply.isEmpty()) {
      return List.of();
    }
    List<StreamEntry> entries = reply.get(0).getValue();
    return entries == null ? List.of() : entries;
  }

  /**
   * What one {@code XAUTOCLAIM} returned.
   *
   * @param cursor where the next call scans from ({@link #START} once the scan has gone round)
   * @param entries the entries claimed for this consumer
   * @param deleted the ids that were pending but deleted or trimmed from the stream: Redis (7 and
   *     later) removed them from the pending list, so there is nothing to acknowledge
   */
  public record Claim(StreamEntryID cursor, List<StreamEntry> entries,
      List<StreamEntryID> deleted) {}

  /**
   * Claims for this consumer up to {@code count} entries of the group idle for at least {@code
   * minIdleMillis}, scanning the pending list from {@code cursor} ({@code XAUTOCLAIM}); each claim
   * counts as a delivery. Sent through the binary command because Jedis's typed {@code
   * xautoclaim} drops the reply's third element, the ids of deleted entries.
   */
  public Claim claimIdle(long minIdleMillis, StreamEntryID cursor, int count) {
    List<Object> reply = jedis.xautoclaim(bytes(stream), bytes(group), bytes(consumer),
        minIdleMillis, bytes(cursor.toString()), XAutoClaimParams.xAutoClaimParams().count(count));
    StreamEntryID next = BuilderFactory.STREAM_ENTRY_ID.build(reply.get(0));
    List<StreamEntry> entries = BuilderFactory.STREAM_ENTRY_LIST.build(reply.get(1));
    List<StreamEntryID> deleted = reply.size() > 2 && reply.get(2) != null
        ? BuilderFactory.STREAM_ENTRY_ID_LIST.build(reply.get(2)) : List.of();
    return new Claim(next, entries == null ? List.of() : entries,
        deleted == null ? List.of() : deleted);
  }

  /**
   * {@return how many times each of {@code ids} was delivered ({@code XPENDING}), for those still
   * pending under this consumer} A first query covers the range of the ids with room for {@code
   * extra} other pending entries of this consumer among them; an id it missed is then looked up on
   * its own, so that a count is found for every id still pending.
   */
  public Map<StreamEntryID, Long> deliveries(List<StreamEntryID> ids, int extra) {
    Map<StreamEntryID, Long> counts = new HashMap<>();
    if (ids.isEmpty()) {
      return counts;
    }
    pending(ids.get(0), ids.get(ids.size() - 1), ids.size() + Math.max(0, extra), counts);
    for (StreamEntryID id : ids) {
      if (!counts.containsKey(id)) {
        pending(id, id, 1, counts);
      }
    }
    return counts;
  }

  private void pending(StreamEntryID first, StreamEntryID last, int count,
      Map<StreamEntryID, Long> counts) {
    List<StreamPendingEntry> pending = jedis.xpending(stream, group,
        XPendingParams.xPendingParams(first, last, count).consumer(consumer));
    for (StreamPendingEntry p : pending) {
      counts.put(p.getID(), p.getDeliveredTimes());
    }
  }

  /**
   * Resets the idle time of {@code ids}, pending under this consumer, without counting a delivery
   * ({@code XCLAIM ... JUSTID}): the worker still has them, so no other worker should claim them.
   */
  public void touch(List<StreamEntryID> ids) {
    jedis.xclaimJustId(stream, group, consumer, 0, XClaimParams.xClaimParams(),
        ids.toArray(new StreamEntryID[0]));
  }

  /** Acknowledges {@code ids}, in one {@code XACK}. */
  public void ack(List<StreamEntryID> ids) {
    jedis.xack(stream, group, ids.toArray(new StreamEntryID[0]));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
