package dev.batcher.redis;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.exceptions.JedisException;

/**
 * A redis-server of one test's own, on a free port, for tests that change the server's settings
 * (ACL users, a password, cluster mode) so that the shared one keeps its own. Needs {@code
 * redis-server} on the PATH.
 */
final class OwnRedis implements AutoCloseable {
  final int port;
  private final String name;
  private final List<String> command;
  private Process server;

  private OwnRedis(int port, String name, List<String> command, Process server) {
    this.port = port;
    this.name = name;
    this.command = command;
    this.server = server;
  }

  /** Starts a redis-server with {@code args} (beyond port and persistence) and waits for it. */
  static OwnRedis start(String name, String password, String... args) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    List<String> command = new ArrayList<>(List.of("redis-server", "--port",
        String.valueOf(port), "--save", "", "--appendonly", "no"));
    command.addAll(List.of(args));
    OwnRedis redis = new OwnRedis(port, name, command, launch(name, command));
    redis.awaitAnswer(password);
    return redis;
  }

  /** Starts the server again, on the same port with the same arguments, and waits for it. */
  void restart(String password) throws Exception {
    server = launch(name, command);
    awaitAnswer(password);
  }

  private static Process launch(String name, List<String> command) {
    try {
      return new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(
              new File("target/redis-server-" + name + ".log"))).start();
    } catch (IOException e) {
      throw new AssertionError("could not start redis-server (is it on the PATH?): " + e, e);
    }
  }

  private void awaitAnswer(String password) throws Exception {
    OwnRedis redis = this;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try (RedisClient c = redis.client("default", password)) {
        c.ping();
        return;
      } catch (JedisException e) {
        if (System.nanoTime() > deadline || !server.isAlive()) {
          redis.close();
          throw new AssertionError("redis-server on port " + port + " did not answer", e);
        }
        Thread.sleep(50);
      }
    }
  }

  /** A pooled client as {@code user} with {@code password} (null: none). */
  RedisClient client(String user, String password) {
    DefaultJedisClientConfig.Builder config = DefaultJedisClientConfig.builder()
        .socketTimeoutMillis(5_000);
    if (password != null) {
      config.user(user).password(password);
    }
    return RedisClient.builder().hostAndPort(new HostAndPort("127.0.0.1", port))
        .clientConfig(config.build()).build();
  }

  /** Stops the server (SIGTERM) and waits for it to exit; {@link #restart} starts it again. */
  void stop() {
    server.destroy();
    try {
      server.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    stop();
  }
}
