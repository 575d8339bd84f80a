#!/usr/bin/env bash
# Benchmark: a batch against the fake OpenRouter misbehaving the way the real one does.
# 400 images at concurrency 16 and 200 ms latency; on each request's first two attempts,
# per attempt: 429 from an upstream provider 6% (Retry-After 1 s), 500 3%, 502 3%, 503 3%,
# 524 2%, 529 2%, reset 3%, stall 1% (20 s), truncated body 2%, malformed JSON 2%, an error
# inside a 200 2%, no image 1%. Chat answers send their headers at once and newlines while
# they wait, as OpenRouter does (so a stalled generation still names itself). Prints each
# figure beside its target; never fails CI.
# (`scripts/bench.sh --faults` runs it too.)
#
# Where each stall fell is up to the seed: a 20 s stall on a request sent at t keeps the run
# going until t + 20 s whatever the client does next. The fake reports, for each stall, the
# attempt it hit and its request's place in the sending order (k), so the bench prints two
# floors beside the wall: this run's (its last stall's send time + 20 s) and an ideal
# client's: one keeping C requests of L ms in flight, first tries in manifest order, can send
# attempt a of the k-th request at floor(k/C) x L + (a-1) x L at the earliest, and then needs
# the 20 s stall and one more try of L. (With the default seed, the last stall is the first
# try of img0396-img0398: floor(396/16) x 0.2 = 4.8 s, so no run of it ends before 25.0 s.)
# `--seeds "A B C"` runs once per seed and prints a line for each.
#
#   scripts/bench-faults.sh [-n N] [-c C] [-l LATENCY_MS] [--seeds "SEED ..."]
set -uo pipefail
cd "$(dirname "$0")/.."

N=400 C=16 L=200 SEEDS=20261128
while [ $# -gt 0 ]; do
  case "$1" in
    -n) N=$2; shift 2 ;;
    -c) C=$2; shift 2 ;;
    -l) L=$2; shift 2 ;;
    --seeds) SEEDS=$2; shift 2 ;;
    *) echo "usage: $0 [-n N] [-c C] [-l LATENCY_MS] [--seeds \"SEED ...\"]" >&2; exit 64 ;;
  esac
done

MIX=429upstream=0.06,500=0.03,502=0.03,503=0.03,524=0.02,529=0.02,reset=0.03,stall=0.01,truncate=0.02,malformed=0.02,error200=0.02,noimages=0.01

. scripts/bench-common.sh
bench_build

one_run() {
bench_start_fake --latency-ms "$L" --image-bytes 65536 --fault-mix "$MIX" --fault-attempts 2 --retry-after 1 \
  --stall-seconds 20 --seed "$1" --chat-keepalive 5

python3 - "$N" >"$work/faults.jsonl" <<'PY'
import json, sys
print(json.dumps({"name": "faults", "defaults": {"image": {"model": "openrouter/google/gemini-2.5-flash-image"}}}))
for i in range(int(sys.argv[1])):
    print(json.dumps({"id": f"img{i:04d}", "prompt": f"benchmark image {i} under faults"}))
PY

/usr/bin/time -f '%e' -o "$work/time" env OPENROUTER_API_KEY=bench "$bin/mediabatch" run "$work/faults.jsonl" \
  --output-root "$out" --base-url "$base" --concurrency "$C" --quiet --json >"$work/report.json" 2>"$work/stderr"
status=$?
stats=$(curl -s "${base%/api/v1}/__fake/stats")

python3 - "$N" "$status" "$(cat "$work/time")" "$work/report.json" "$stats" "$out/faults" "$1" "$2" "$C" "$L" <<'PY'
import json, os, sys
n, status, wall, seed, brief = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[7], sys.argv[8] == "brief"
concurrency, latency = int(sys.argv[9]), float(sys.argv[10]) / 1000
report = json.load(open(sys.argv[4])) if os.path.getsize(sys.argv[4]) else {}
stats = json.loads(sys.argv[5] or "{}")
files = [f for f in os.listdir(sys.argv[6]) if f.endswith(".png")] if os.path.isdir(sys.argv[6]) else []
totals = report.get("totals", {})
spent, billed = float(totals.get("cost", 0)), float(stats.get("billedCost", 0))
gap = abs(spent - billed) / billed if billed else 1
stalls = stats.get("stallStarts", [])
floor = max(stalls) + 20 if stalls else 0
# When an ideal client could have sent each stalled attempt: first tries in manifest order,
# C at a time, each try taking the latency.
earliest = [(k // concurrency) * latency + (a - 1) * latency for k, a in zip(stats.get("stallOrders", []), stats.get("stallAttempts", []))]
ideal = max(earliest) + 20 + latency if earliest else 0
if brief:
    print(f"seed {seed:<10} wall {wall:5.1f} s   ideal client's floor {ideal:4.1f} s (+{wall - ideal:3.1f})   last stall sent at {max(stalls, default=0):4.1f} s: floor {floor:4.1f} s (+{wall - floor:3.1f})   "
          f"done {totals.get('done', 0)}/{n}, early retries {stats.get('earlyRetries', -1)}, idle {stats.get('idleSeconds', -1):.2f} s, spent {spent:.4f} of billed {billed:.4f}")
    sys.exit(0)
def line(name, value, target, good):
    print(f"{name:<38} {value:<14} {target:<14} {'ok' if good else 'MISSED'}")
print(f"mediabatch fault bench: N={n}, seed {seed}, exit status {status}, {stats.get('faultsInjected', 0)} faults injected, {stats.get('requests', 0)} requests")
line("tasks done", f"{totals.get('done', 0)}/{n}", "all", totals.get("done", 0) == n and len(files) == n)
line("retries before their Retry-After", f"{stats.get('earlyRetries', -1)}", "0", stats.get("earlyRetries", -1) == 0)
line("seconds with nothing in flight", f"{stats.get('idleSeconds', -1):.2f}", "< 1.00", 0 <= stats.get("idleSeconds", -1) < 1)
line("wall seconds", f"{wall:.1f}", "< 25", wall < 25)
line("  stalls sent at (s after the first)", " ".join(f"{t:.1f}" for t in stalls) or "none", "(this seed's)", True)
line("  stalls hit (attempt @ sending order)", " ".join(f"{a}@{k}" for k, a in zip(stats.get("stallOrders", []), stats.get("stallAttempts", []))) or "none", "(this seed's)", True)
line("  an ideal client's floor", f"{ideal:.1f}", "(info)", True)
line("  wall - that floor", f"{wall - ideal:.1f}", "(info)", True)
line("  this run's floor: last stall + 20 s", f"{floor:.1f}", "(info)", True)
line("  wall - floor", f"{wall - floor:.1f}", "(after the stall)", True)
line("spent (report) vs billed (fake)", f"{spent:.4f}/{billed:.4f}", "within 1%", gap <= 0.01)
PY
kill $fake 2>/dev/null; wait $fake 2>/dev/null; rm -rf "$work"; trap - EXIT
}

set -- $SEEDS
if [ $# -eq 1 ]; then one_run "$1" full; else for seed in "$@"; do one_run "$seed" brief; done; fi
exit 0
