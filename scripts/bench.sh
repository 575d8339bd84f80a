#!/usr/bin/env bash
# Benchmark: mediabatch against the fake OpenRouter with fixed latency and payload size.
# Prints wall time against the ideal ceil(N/C)*L, CPU per task, peak RSS, connections the
# fake accepted, and whether every output verified. A benchmark, not a test: never fails CI.
#
#   scripts/bench.sh [-n N] [-c C] [-l LATENCY_MS] [-p PAYLOAD_BYTES] [--tts] [-- RUN_FLAGS...]
#   scripts/bench.sh --faults [-n N] [-c C] [-l LATENCY_MS]   the fault-mix mode (bench-faults.sh)
# Flags after `--` go to `mediabatch run` (for example `-- --no-gallery`).
set -uo pipefail
cd "$(dirname "$0")/.."

[ "${1:-}" = "--faults" ] && { shift; exec scripts/bench-faults.sh "$@"; }
N=2000 C=32 L=200 P=$((1 << 20)) MODE=image
while [ $# -gt 0 ]; do
  case "$1" in
    -n) N=$2; shift 2 ;;
    -c) C=$2; shift 2 ;;
    -l) L=$2; shift 2 ;;
    -p) P=$2; shift 2 ;;
    --tts) MODE=tts; shift ;;
    --) shift; break ;;
    *) echo "usage: $0 [-n N] [-c C] [-l LATENCY_MS] [-p PAYLOAD_BYTES] [--tts]" >&2; exit 64 ;;
  esac
done

. scripts/bench-common.sh
bench_build
bench_start_fake --latency-ms "$L" --image-bytes "$P"

python3 - "$N" "$MODE" >"$work/bench.jsonl" <<'PY'
import json, sys
n, mode = int(sys.argv[1]), sys.argv[2]
print(json.dumps({"name": "bench", "defaults": {"image": {"model": "openrouter/google/gemini-2.5-flash-image"}}}))
for i in range(n):
    if mode == "tts":
        print(json.dumps({"id": f"s{i:06d}", "type": "tts", "text": f"Sentence number {i} of the benchmark narration."}))
    else:
        print(json.dumps({"id": f"img{i:06d}", "prompt": f"benchmark image {i}"}))
PY

/usr/bin/time -f '%e %U %S %M' -o "$work/time" \
  env OPENROUTER_API_KEY=bench "$bin/mediabatch" run "$work/bench.jsonl" --output-root "$out" \
  --base-url "$base" --concurrency "$C" --quiet "$@"
status=$?
read -r wall user sys rss_kb <"$work/time"
stats=$(curl -s "${base%/api/v1}/__fake/stats")

python3 - "$N" "$C" "$L" "$P" "$wall" "$user" "$sys" "$rss_kb" "$status" "$out/bench" "$MODE" "$stats" <<'PY'
import json, math, os, sys, zlib
n, c, l, p = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
wall, user, sys_t, rss_kb, status = float(sys.argv[5]), float(sys.argv[6]), float(sys.argv[7]), int(sys.argv[8]), int(sys.argv[9])
out, mode, stats = sys.argv[10], sys.argv[11], json.loads(sys.argv[12] or "{}")
ideal = math.ceil(n / c) * l / 1000
cpu_ms = (user + sys_t) * 1000 / n
rss_mib = rss_kb / 1024
rss_limit = 64 + 3 * c * p / (1 << 20)
suffix = ".png" if mode == "image" else ".mp3"
files = [f for f in os.listdir(out) if f.endswith(suffix)] if os.path.isdir(out) else []  # not sidecars, not index.html
magic = b"\x89PNG\r\n\x1a\n"
def png_intact(data):
    """Signature, then chunks whose CRCs all match, ending with IEND at the last byte."""
    if not data.startswith(magic): return False
    at = 8
    while at + 12 <= len(data):
        length = int.from_bytes(data[at:at + 4], "big")
        kind = data[at + 4:at + 8]
        end = at + 12 + length
        if end > len(data) or zlib.crc32(data[at + 4:at + 8 + length]) != int.from_bytes(data[at + 8 + length:end], "big"):
            return False
        if kind == b"IEND": return end == len(data)
        at = end
    return False
ok = len(files) == n and status == 0
for f in files:
    with open(os.path.join(out, f), "rb") as fh:
        data = fh.read()
    if mode == "image" and not png_intact(data): ok = False
    if mode == "tts" and not (data.startswith(b"ID3") or data[:2] in (b"\xff\xf3", b"\xff\xfb", b"\xff\xf2")): ok = False
conns = stats.get("connectionsAccepted", 0) - 1  # minus the stats query's own connection
def line(name, value, target, good):
    print(f"{name:<26} {value:<22} {target:<26} {'ok' if good else 'MISSED'}")
print(f"mediabatch bench: mode={mode} N={n} C={c} L={l}ms P={p} bytes, exit status {status}")
line("wall seconds", f"{wall:.2f}", f"ideal {ideal:.2f}", True)
line("wall / ideal", f"{wall / ideal:.3f}", "<= 1.05", wall / ideal <= 1.05)
if mode == "tts":
    # Speech is billed per chunk and its cost is only known by asking (GET /generation), which
    # no run can do before the last chunk's answer: one more round trip than the images' ideal.
    line("wall / (ideal + 1 lookup)", f"{wall / (ideal + l / 1000):.3f}", f"(ideal + lookup {ideal + l / 1000:.2f})", True)
if mode == "image":
    per_mib = cpu_ms / (p / (1 << 20))
    line("CPU ms per task", f"{cpu_ms:.2f}", f"(user {user * 1000 / n:.2f}, sys {sys_t * 1000 / n:.2f})", True)
    line("CPU ms per MiB of image", f"{per_mib:.2f}", "<= 3.00", per_mib <= 3)
else:
    line("CPU ms per task", f"{cpu_ms:.2f}", "(info)", True)
line("peak RSS MiB", f"{rss_mib:.1f}", f"<= {rss_limit:.0f}", rss_mib <= rss_limit)
# Speech also asks each chunk's cost (GET /generation) on lanes of their own, one per worker.
limit = 2 * c if mode == "tts" else c
line("connections accepted", f"{conns}", f"<= {limit}", 0 <= conns <= limit)
line("outputs verified", f"{len(files)}/{n}", "all (PNG chunks and CRCs)" if mode == "image" else "all", ok)
PY
exit 0
