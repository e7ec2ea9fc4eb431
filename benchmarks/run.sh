#!/usr/bin/env bash
# Builds the JMH jar, runs both suites RUNS times (default 2, to show the noise), and regenerates
# docs/results.md and docs/img/*.png from the JSON. About 16 minutes per run on 2 cores (13
# without JAVA21_HOME).
#
#   benchmarks/run.sh                      # the published runs: full batch-size matrix
#   RUNS=1 benchmarks/run.sh               # one run
#   JAVA21_HOME=/path/to/jdk21+ benchmarks/run.sh   # adds virtual-thread producers
#   QUICK=1 benchmarks/run.sh              # the short version: both suites with their defaults
#
# Environment: JAVA (default: java on PATH) runs the suites; JAVA21_HOME, when set, runs the
# virtual-thread producers; OUT (default benchmarks/target/results) keeps each run's JSON and logs.
# To publish, copy each run's *.json, env.txt, commands.txt and peer-notes.txt to
# benchmarks/results/runN/ (the published page is generated from there).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-2}
OUT=${OUT:-benchmarks/target/results}
JAVA=${JAVA:-java}
JAVA21_HOME=${JAVA21_HOME:-}
JAR=benchmarks/target/benchmarks.jar

mvn -B -q -pl benchmarks -am package -DskipTests

if [[ -n "${QUICK:-}" ]]; then
  exec "$JAVA" -jar "$JAR"
fi

report_args=()
for i in $(seq 1 "$RUNS"); do
  dir="$OUT/run$i"
  rm -rf "$dir"
  mkdir -p "$dir"
  {
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  } > "$dir/env.txt"

  # a longer measurement than the suite's default, to narrow the error on this noisy machine
  tp=("$JAVA" -jar "$JAR" CoreThroughput -p batchSize=64,512,4096 -wi 3 -i 5 -rf json -rff "$dir/throughput.json")
  lat=("$JAVA" -jar "$JAR" Latency -rf json -rff "$dir/latency.json")
  printf '%s\n' "${tp[*]}" "${lat[*]}" > "$dir/commands.txt"
  "${tp[@]}" > "$dir/throughput.log" 2>&1
  "${lat[@]}" > "$dir/latency.log" 2>&1
  if [[ -n "$JAVA21_HOME" ]]; then
    vt=("$JAVA21_HOME/bin/java" -jar "$JAR" CoreThroughput -p producerThreads=virtual -wi 3 -i 5 -rf json -rff "$dir/virtual.json")
    printf '%s\n' "${vt[*]}" >> "$dir/commands.txt"
    "${vt[@]}" > "$dir/virtual.log" 2>&1
  fi
  echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$dir/env.txt"
  grep -h 'offered\|refused,\|not delivered' "$dir"/*.log > "$dir/peer-notes.txt" || true
  report_args+=(--run "$dir")
done

"$JAVA" -cp "$JAR" dev.batcher.benchmarks.results.ResultsReport "${report_args[@]}" \
  --out docs/results.md --img docs/img --notes benchmarks/results-notes.md
