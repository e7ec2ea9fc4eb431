#!/usr/bin/env bash
# Builds the JMH jar, runs the JDBC suites against the local PostgreSQL (JdbcWriteBenchmark: rows/s
# by mode, strategy and batch size; CounterBenchmark: likes/s merged and one by one), and writes
# docs/results-jdbc.md and docs/img/jdbc-*.png from the JSON. PostgreSQL must be up (see README).
#
#   benchmarks/run-jdbc.sh             # the published run
#   QUICK=1 benchmarks/run-jdbc.sh     # a smoke run: one 1 s iteration per case, no warm-up
#
# Environment: JAVA (default: java on PATH) runs the suites; OUT (default
# benchmarks/target/results-jdbc/run1) keeps the run's JSON, logs, env.txt and commands.txt;
# DOC (default docs/results-jdbc.md) and IMG (default docs/img) are where the report goes. A
# QUICK run writes its report into OUT instead (OUT/results-jdbc.md, OUT/img), so a smoke run
# never overwrites the published page; set DOC and IMG to override.
# To publish, copy the run's *.json, env.txt and commands.txt to benchmarks/results/jdbc-run1/.
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

write=("$JAVA" -jar "$JAR" JdbcWrite -p database=postgres -p mode=batcher,raw
  -p strategy=ONE_BY_ONE,JDBC_BATCH,MULTI_ROW,UNNEST,COPY -p batchSize=1,10,100,1000,10000
  ${quick[@]+"${quick[@]}"} -rf json -rff "$OUT/jdbc-write.json")
rewrite=("$JAVA" -jar "$JAR" JdbcWrite -p database=postgres -p mode=rewrite -p strategy=JDBC_BATCH
  -p batchSize=1,10,100,1000,10000 ${quick[@]+"${quick[@]}"} -rf json -rff "$OUT/jdbc-rewrite.json")
autocommit=("$JAVA" -jar "$JAR" JdbcWrite -p database=postgres -p mode=autocommit
  -p strategy=ONE_BY_ONE -p batchSize=1 ${quick[@]+"${quick[@]}"} -rf json
  -rff "$OUT/jdbc-autocommit.json")
counter=("$JAVA" -jar "$JAR" Counter -p database=postgres -p posts=1,100,10000
  ${quick[@]+"${quick[@]}"} -rf json -rff "$OUT/counter.json")
printf '%s\n' "${write[*]}" "${rewrite[*]}" "${autocommit[*]}" "${counter[*]}" > "$OUT/commands.txt"

"${write[@]}" > "$OUT/jdbc-write.log" 2>&1
"${rewrite[@]}" > "$OUT/jdbc-rewrite.log" 2>&1
"${autocommit[@]}" > "$OUT/jdbc-autocommit.log" 2>&1
"${counter[@]}" > "$OUT/counter.log" 2>&1
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/env.txt"

"$JAVA" -cp "$JAR" dev.batcher.benchmarks.results.JdbcReport --jdbc-run "$OUT" \
  --out "$DOC" --img "$IMG"
