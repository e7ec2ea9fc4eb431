package dev.batcher.redis;

/** The sink contract for a plain pipelined {@link RedisSink}. */
class RedisContractIT extends RedisContract {
  @Override
  boolean transactional() {
    return false;
  }
}
