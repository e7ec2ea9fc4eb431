#!/usr/bin/env bash
# Builds the JMH jar and runs the Redis suite against the local Redis (RedisWriteBenchmark: items/s
# of HINCRBY by mode, transactional and batch size; BATCHER_REDIS_URL, default
# redis://127.0.0.1:6379). Two JMH commands; about 4 minutes on 2 cores. Writes no report: the
# JSON is the result.
#
#   benchmarks/run-redis.sh            # into benchmarks/target/results-redis/run1
#   RUN=run2 benchmarks/run-redis.sh   # into benchmarks/target/results-redis/run2
#
# Environment: JAVA (default: java on PATH) runs the suite; RUN (default run1) names the run's
# directory, which keeps redis-write.json, redis-one-by-one.json, their logs, env.txt and
# commands.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=benchmarks/target/results-redis/${RUN:-run1}
JAVA=${JAVA:-java}
JAR=benchmarks/target/benchmarks.jar

mvn -B -q -pl benchmarks -am package -DskipTests

rm -rf "$OUT"
mkdir -p "$OUT"
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
  echo "redis: $(redis-cli -u "${BATCHER_REDIS_URL:-redis://127.0.0.1:6379}" INFO server 2>/dev/null | grep -m1 redis_version | tr -d '\r' || echo unknown)"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$OUT/env.txt"

# oneByOne ignores batchSize and transactional: measured once, in a command of its own.
run() { # name, then the JMH -p arguments
  local name=$1; shift
  local command="$JAVA -jar $JAR RedisWrite $* -f 1 -wi 2 -w 2 -i 3 -r 2 -rf json -rff $OUT/$name.json"
  echo "$command" >> "$OUT/commands.txt"
  echo "$(date -u +%H:%M:%S) $name"
  $command > "$OUT/$name.log" 2>&1
}
run redis-write -p mode=raw,batcher -p transactional=false,true -p batchSize=1,10,100,1000,10000
run redis-one-by-one -p mode=oneByOne -p transactional=false -p batchSize=1
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/env.txt"
ls "$OUT"/*.json
