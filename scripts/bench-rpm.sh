#!/usr/bin/env bash
# Benchmark: the key's rate limit. The fake OpenRouter answers its own 429 (with
# X-RateLimit-Limit/-Remaining/-Reset, as OpenRouter does) past R requests in any 60 s;
# N images at concurrency C and 50 ms latency. mediabatch is not told R: it meets the limit
# once, waits for the reset, and paces itself to the limit the 429 named.
# Targets: achieved rate at least 95% of what the limit allows over the run (R in the first
# minute, then R a minute), and fewer than 2% of requests answered 429. Never fails CI.
# (~100 s with the defaults.)
#
#   scripts/bench-rpm.sh [-n N] [-c C] [-r R]
set -uo pipefail
cd "$(dirname "$0")/.."

N=1000 C=16 R=600
while [ $# -gt 0 ]; do
  case "$1" in
    -n) N=$2; shift 2 ;;
    -c) C=$2; shift 2 ;;
    -r) R=$2; shift 2 ;;
    *) echo "usage: $0 [-n N] [-c C] [-r R]" >&2; exit 64 ;;
  esac
done

. scripts/bench-common.sh
bench_build
bench_start_fake --latency-ms 50 --image-bytes 4096 --rpm "$R" --rate-window 60

python3 - "$N" >"$work/rpm.jsonl" <<'PY'
import json, sys
print(json.dumps({"name": "rpm", "defaults": {"image": {"model": "openrouter/google/gemini-2.5-flash-image"}}}))
for i in range(int(sys.argv[1])):
    print(json.dumps({"id": f"img{i:05d}", "prompt": f"benchmark image {i} under a rate limit"}))
PY

/usr/bin/time -f '%e' -o "$work/time" env OPENROUTER_API_KEY=bench "$bin/mediabatch" run "$work/rpm.jsonl" \
  --output-root "$out" --base-url "$base" --concurrency "$C" --no-gallery >"$work/stdout" 2>"$work/stderr"
status=$?
stats=$(curl -s "${base%/api/v1}/__fake/stats")
grep -h "pacing" "$work/stderr" | head -1

python3 - "$N" "$R" "$status" "$(cat "$work/time")" "$stats" <<'PY'
import json, sys
n, rpm, status, wall = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
stats = json.loads(sys.argv[5] or "{}")
requests = stats.get("requests", 0)
limited = stats.get("rateLimited", 0)
# The shortest run the limit allows: R requests at once, then R a minute after the first minute.
best = 60 + 60 * (n - rpm) / rpm if n > rpm else 0
allowed = n / best * 60 if best else float("inf")
achieved = n / wall * 60
def line(name, value, target, good):
    print(f"{name:<38} {value:<16} {target:<14} {'ok' if good else 'MISSED'}")
print(f"mediabatch rate-limit bench: N={n}, R={rpm}/min, exit status {status}, {requests} requests, wall {wall:.1f} s")
line("tasks done", f"{stats.get('billedGenerations', '?')}/{n}", "all", status == 0)
line("achieved rate (tasks a minute)", f"{achieved:.0f}", f">= {0.95 * allowed:.0f}", achieved >= 0.95 * allowed)
line("requests answered 429", f"{limited} ({100 * limited / max(requests, 1):.1f}%)", "< 2%", limited < 0.02 * max(requests, 1))
PY
exit 0
