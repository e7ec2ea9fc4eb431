#!/usr/bin/env bash
# Where a batch's time goes on PostgreSQL: runs short JdbcWriteBenchmark cases with
# log_min_duration_statement=0 on their own connections (every statement they send is logged with
# its server-side duration), cuts each run's part out of the server log, and sets the server's
# time per batch (data statement, COMMIT, BEGIN) beside the wall time per batch (PgLogProfile).
# Needs read access to the server log (LOG, default /var/log/postgresql/postgresql-15-main.log)
# and a superuser connection (BATCHER_POSTGRES_URL, as the tests), since the setting is per
# session. The server's own time is nearly independent of other load, the wall time is not.
#
#   benchmarks/profile-jdbc.sh                 # batch 1,000; writes $OUT/profile.md
#   SIZE=10000 benchmarks/profile-jdbc.sh
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${OUT:-benchmarks/target/results-jdbc/run1}
LOG=${LOG:-/var/log/postgresql/postgresql-15-main.log}
JAVA=${JAVA:-java}
SIZE=${SIZE:-1000}
JAR=benchmarks/target/benchmarks.jar
URL=${BATCHER_POSTGRES_URL:-jdbc:postgresql://127.0.0.1:5432/test?user=postgres}
[[ -f "$JAR" ]] || mvn -B -q -pl benchmarks -am package -DskipTests
[[ -r "$LOG" ]] || { echo "cannot read the PostgreSQL log $LOG: set LOG" >&2; exit 1; }

dir="$OUT/profile"
rm -rf "$dir"
mkdir -p "$dir"
run() { # label, then JMH -p arguments; SESSION adds settings to the runs' sessions
  local label=$1; shift
  local from
  from=$(($(stat -c %s "$LOG") + 1))
  BATCHER_POSTGRES_URL="$URL&options=-c%20log_min_duration_statement=0${SESSION:-}" \
    "$JAVA" -jar "$JAR" JdbcWrite -p database=postgres -p batchSize="$SIZE" "$@" \
    -wi 1 -w 2 -i 2 -r 2 -f 1 -rf json -rff "$dir/$label.json" > "$dir/$label.out" 2>&1
  tail -c +"$from" "$LOG" > "$dir/$label.log"
}
run 1-copy-raw -p mode=raw -p strategy=COPY
run 2-unnest-raw -p mode=raw -p strategy=UNNEST
# The same without waiting for the WAL flush: a statement sent alone in autocommit commits at the
# protocol's Sync, after the server logged its duration, so its flush is in "not on the server";
# the difference in wall time between this run and the last is what the flush cost.
SESSION="%20-c%20synchronous_commit=off" run 2b-unnest-raw-no-flush-wait -p mode=raw -p strategy=UNNEST
run 3-multirow-raw -p mode=raw -p strategy=MULTI_ROW
run 4-copy-batcher-2-in-flight -p mode=batcher -p strategy=COPY -p inFlight=2
run 5-pgjdbc-rewrite -p mode=rewrite -p strategy=JDBC_BATCH
"$JAVA" -cp "$JAR" dev.batcher.benchmarks.results.PgLogProfile --dir "$dir" --out "$OUT/profile.md"
cat "$OUT/profile.md"
