package dev.batcher.redis;

/** The sink contract for a {@linkplain RedisSink.Builder#transactional() transactional} sink. */
class RedisTransactionalContractIT extends RedisContract {
  @Override
  boolean transactional() {
    return true;
  }
}
