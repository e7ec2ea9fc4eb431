#!/usr/bin/env bash
# Builds the JMH jar, runs the JDBC suites against the local PostgreSQL and MariaDB and an in-memory
# H2 (JdbcWriteBenchmark: rows/s by mode, strategy, batch size and batches in flight;
# CounterBenchmark: likes/s merged and one by one), and writes docs/results-jdbc.md and
# docs/img/jdbc-*.png from the JSON. PostgreSQL and MariaDB must be up (see README). About 45
# minutes on 2 cores.
#
#   benchmarks/run-jdbc.sh             # the published run
#   QUICK=1 benchmarks/run-jdbc.sh     # a smoke run: one 1 s iteration per case, no warm-up
#
# Environment: JAVA (default: java on PATH) runs the suites; OUT (default
# benchmarks/target/results-jdbc/run1) keeps the run's JSON, logs, env.txt and commands.txt;
# DOC (default docs/results-jdbc.md) and IMG (default docs/img) are where the report goes. A
# QUICK run writes its report into OUT instead (OUT/results-jdbc.md, OUT/img), so a smoke run
# never overwrites the published page; set DOC and IMG to override.
# To publish, copy the run's *.json, env.txt, commands.txt and profile.md to a new benchmarks/results/jdbc-runN/.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${OUT:-benchmarks/target/results-jdbc/run1}
JAVA=${JAVA:-java}
JAR=benchmarks/target/benchmarks.jar

quick=()
if [[ -n "${QUICK:-}" ]]; then
  quick=(-wi 0 -i 1 -r 1 -w 1)
  DOC=${DOC:-$OUT/results-jdbc.md}
  IMG=${IMG:-$OUT/img}
fi
DOC=${DOC:-docs/results-jdbc.md}
IMG=${IMG:-docs/img}

mvn -B -q -pl benchmarks -am package -DskipTests

rm -rf "$OUT"
mkdir -p "$OUT"
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$OUT/env.txt"

# One command per line of commands.txt; the suites run in this order, each into its own JSON.
commands=()
names=()
add() { # name, then the JMH arguments
  local name=$1; shift
  names+=("$name")
  commands+=("$JAVA -jar $JAR $* ${quick[*]+${quick[*]}} -rf json -rff $OUT/$name.json")
}
sizes=1,10,100,1000,10000
# PostgreSQL: every strategy, the targets' database
add jdbc-write JdbcWrite -p database=postgres -p mode=batcher,raw \
  -p strategy=ONE_BY_ONE,JDBC_BATCH,MULTI_ROW,UNNEST,COPY -p batchSize=$sizes -p inFlight=1
add jdbc-keyed JdbcWrite -p database=postgres -p mode=batcher,raw \
  -p strategy=UPSERT,INSERT_IGNORE -p batchSize=$sizes -p inFlight=1
add jdbc-inflight JdbcWrite -p database=postgres -p mode=batcher \
  -p strategy=MULTI_ROW,UNNEST,COPY -p batchSize=1000,10000 -p inFlight=2
add jdbc-rewrite JdbcWrite -p database=postgres -p mode=rewrite -p strategy=JDBC_BATCH \
  -p batchSize=$sizes -p inFlight=1
add jdbc-rewrite-inflight JdbcWrite -p database=postgres -p mode=rewrite -p strategy=JDBC_BATCH \
  -p batchSize=1000,10000 -p inFlight=2
add jdbc-autocommit JdbcWrite -p database=postgres -p mode=autocommit -p strategy=ONE_BY_ONE \
  -p batchSize=1
add counter Counter -p database=postgres -p posts=1,100,10000
# MariaDB and H2: the strategies they support besides the keyed ones
for db in mariadb h2; do
  add $db-write JdbcWrite -p database=$db -p mode=batcher,raw \
    -p strategy=ONE_BY_ONE,JDBC_BATCH,MULTI_ROW -p batchSize=$sizes -p inFlight=1
  add $db-keyed JdbcWrite -p database=$db -p mode=batcher,raw \
    -p strategy=UPSERT,INSERT_IGNORE -p batchSize=$sizes -p inFlight=1
  add $db-inflight JdbcWrite -p database=$db -p mode=batcher -p strategy=MULTI_ROW \
    -p batchSize=1000,10000 -p inFlight=2
  add $db-rewrite JdbcWrite -p database=$db -p mode=rewrite -p strategy=JDBC_BATCH \
    -p batchSize=$sizes -p inFlight=1
  add $db-rewrite-inflight JdbcWrite -p database=$db -p mode=rewrite -p strategy=JDBC_BATCH \
    -p batchSize=1000,10000 -p inFlight=2
  add $db-autocommit JdbcWrite -p database=$db -p mode=autocommit -p strategy=ONE_BY_ONE \
    -p batchSize=1
  add $db-counter Counter -p database=$db -p posts=1,100,10000
done
printf '%s\n' "${commands[@]}" > "$OUT/commands.txt"

for i in "${!commands[@]}"; do
  echo "$(date -u +%H:%M:%S) ${names[$i]}"
  ${commands[$i]} > "$OUT/${names[$i]}.log" 2>&1
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/env.txt"
# Where a PostgreSQL batch's time goes (needs the server log; skipped with a note when unreadable).
if [[ -z "${QUICK:-}" ]]; then
  OUT="$OUT" JAVA="$JAVA" benchmarks/profile-jdbc.sh > "$OUT/profile.out" 2>&1 \
    || echo "profile-jdbc.sh failed, see $OUT/profile.out; the page goes without its profile"
fi

"$JAVA" -cp "$JAR" dev.batcher.benchmarks.results.JdbcReport --jdbc-run "$OUT" \
  --out "$DOC" --img "$IMG"
