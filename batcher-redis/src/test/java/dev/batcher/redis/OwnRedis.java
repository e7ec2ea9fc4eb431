package dev.batcher.redis;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;

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
 * (ACL users, a password, cluster mode, memory limits, an append-only file) or stop and kill it,
 * so that the shared one keeps its own. The binary is {@code redis-server} from the PATH, or
 * {@value #SERVER_VARIABLE}; its log goes to {@code target/redis-server-<name>.log}.
 */
final class OwnRedis implements AutoCloseable {
  static final String SERVER_VARIABLE = "BATCHER_REDIS_SERVER";

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

  /**
   * Starts a redis-server with {@code args} (beyond its port, a local bind and no persistence;
   * an argument given again wins, so {@code "--appendonly", "yes"} turns the append-only file
   * on) and waits until it answers.
   */
  static OwnRedis start(String name, String password, String... args) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String binary = System.getenv().getOrDefault(SERVER_VARIABLE, "redis-server");
    List<String> command = new ArrayList<>(List.of(binary, "--port", String.valueOf(port),
        "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"));
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
      throw new AssertionError("could not start " + command.get(0) + " (" + e.getMessage()
          + "): install Redis or point " + SERVER_VARIABLE + " at its redis-server", e);
    }
  }

  private void awaitAnswer(String password) {
    try {
      await().atMost(10, SECONDS).ignoreException(JedisException.class).until(() -> {
        if (!server.isAlive()) {
          throw new AssertionError("redis-server on port " + port + " exited; see target/"
              + "redis-server-" + name + ".log");
        }
        try (RedisClient c = client("default", password)) {
          return "PONG".equals(c.ping());
        }
      });
    } catch (RuntimeException | AssertionError e) {
      close();
      throw e;
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

  /** Kills the server (SIGKILL: no shutdown, no final fsync) and waits for it to exit. */
  void kill() {
    server.destroyForcibly();
    awaitExit();
  }

  /** Stops the server (SIGTERM) and waits for it to exit; {@link #restart} starts it again. */
  void stop() {
    server.destroy();
    awaitExit();
  }

  private void awaitExit() {
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
