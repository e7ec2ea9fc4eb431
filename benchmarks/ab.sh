#!/usr/bin/env bash
# Before/after throughput of our batcher, two benchmark jars side by side in one run: for every
# point (batch size x producers) the two jars run back to back, ROUNDS times, and the summary
# gives after/before per point and round. Use it to show that a change to the core costs nothing.
#
#   benchmarks/ab.sh BEFORE.jar AFTER.jar
#   ROUNDS=3 BATCH_SIZES=512 PRODUCERS=2,8 benchmarks/ab.sh before.jar after.jar
#
# Build a jar of an older commit with: git worktree add /tmp/old <commit> && \
#   (cd /tmp/old && mvn -B -q -pl benchmarks -am package -DskipTests) && cp /tmp/old/benchmarks/target/benchmarks.jar before.jar
# Environment: ROUNDS (2), BATCH_SIZES (64,512,4096), PRODUCERS (1,2,4,8), JMH_ARGS (-wi 3 -i 5),
# OUT (benchmarks/target/ab). Needs python3 for the summary.
set -euo pipefail
before=${1:?usage: ab.sh BEFORE.jar AFTER.jar}
after=${2:?usage: ab.sh BEFORE.jar AFTER.jar}
ROUNDS=${ROUNDS:-2}
BATCH_SIZES=${BATCH_SIZES:-64,512,4096}
PRODUCERS=${PRODUCERS:-1,2,4,8}
JMH_ARGS=${JMH_ARGS:--wi 3 -i 5}
OUT=${OUT:-benchmarks/target/ab}
mkdir -p "$OUT"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/env.txt"
for round in $(seq 1 "$ROUNDS"); do
  for bs in ${BATCH_SIZES//,/ }; do
    for p in ${PRODUCERS//,/ }; do
      for side in before after; do
        jar=$before
        [[ $side == after ]] && jar=$after
        # shellcheck disable=SC2086
        java -jar "$jar" CoreThroughput -p library=batcher -p batchSize="$bs" -p producers="$p" \
          $JMH_ARGS -rf json -rff "$OUT/$side-b$bs-p$p-r$round.json" > "$OUT/$side-b$bs-p$p-r$round.log" 2>&1
      done
    done
  done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/env.txt"
python3 - "$OUT" <<'PY'
import glob, json, os, re, sys
out = sys.argv[1]
rows = {}
for f in glob.glob(os.path.join(out, "*.json")):
    side, bs, p, r = re.match(r"(before|after)-b(\d+)-p(\d+)-r(\d+)\.json", os.path.basename(f)).groups()
    for rec in json.load(open(f)):
        m = rec.get("secondaryMetrics", {}).get("delivered") or rec["primaryMetric"]
        rows.setdefault((int(bs), int(p), int(r)), {})[side] = m["score"]
print("delivered items/s, millions: batchSize producers round | before after | after/before")
ratios = []
for key in sorted(rows):
    v = rows[key]
    if "before" in v and "after" in v:
        ratio = v["after"] / v["before"]
        ratios.append(ratio)
        print(f"{key[0]:>5} {key[1]:>2} r{key[2]} | {v['before']/1e6:7.2f} {v['after']/1e6:7.2f} | {ratio:5.2f}")
if ratios:
    print(f"min {min(ratios):.2f}, max {max(ratios):.2f}, geometric mean "
          f"{__import__('math').prod(ratios) ** (1 / len(ratios)):.2f} over {len(ratios)} points")
PY
