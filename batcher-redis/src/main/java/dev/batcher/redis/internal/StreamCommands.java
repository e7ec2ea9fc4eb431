package dev.batcher.redis.internal;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.XAutoClaimParams;
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
    try {
      jedis.xgroupCreate(stream, group, START, true);
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
   * Claims for this consumer up to {@code count} entries of the group idle for at least {@code
   * minIdleMillis}, scanning the pending list from {@code cursor} ({@code XAUTOCLAIM}); each claim
   * counts as a delivery.
   *
   * @return the cursor for the next call ({@link #START} once the scan has gone round) and the
   *     claimed entries
   */
  public Map.Entry<StreamEntryID, List<StreamEntry>> claimIdle(long minIdleMillis,
      StreamEntryID cursor, int count) {
    return jedis.xautoclaim(stream, group, consumer, minIdleMillis, cursor,
        XAutoClaimParams.xAutoClaimParams().count(count));
  }

  /**
   * {@return how many times each of this consumer's pending entries from {@code first} to {@code
   * last} was delivered ({@code XPENDING}), for at most {@code count} entries}
   */
  public Map<StreamEntryID, Long> deliveries(StreamEntryID first, StreamEntryID last, int count) {
    List<StreamPendingEntry> pending = jedis.xpending(stream, group,
        XPendingParams.xPendingParams(first, last, count).consumer(consumer));
    Map<StreamEntryID, Long> counts = new HashMap<>();
    for (StreamPendingEntry p : pending) {
      counts.put(p.getID(), p.getDeliveredTimes());
    }
    return counts;
  }

  /** Acknowledges {@code ids}, in one {@code XACK}. */
  public void ack(List<StreamEntryID> ids) {
    jedis.xack(stream, group, ids.toArray(new StreamEntryID[0]));
  }
}
