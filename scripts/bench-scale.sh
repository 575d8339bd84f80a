#!/usr/bin/env bash
# Benchmark: huge manifests. Times `mediabatch plan` of an N-task JSONL manifest, fills the
# batch once against the fake OpenRouter (tiny images, no latency), then times the rerun,
# which only has to load the N-entry journal and check every file: the resume check.
# Targets: plan < 1 s (lines of ~200 bytes: id, prompt, model, aspect ratio, resolution)
# and resume check < 1 s at N=100000. A second figure: `plan` of an N-row CSV (quoted
# fields, commas, a brace) through `rows`, < 1 s, with its peak memory. Never fails CI.
#
#   scripts/bench-scale.sh [-n N]
set -uo pipefail
cd "$(dirname "$0")/.."

N=100000
while [ $# -gt 0 ]; do
  case "$1" in
    -n) N=$2; shift 2 ;;
    *) echo "usage: $0 [-n N]" >&2; exit 64 ;;
  esac
done

. scripts/bench-common.sh
bench_build
bench_start_fake --image-bytes 256

python3 - "$N" >"$work/big.jsonl" <<'PY'
# Lines of ~200 bytes, each naming its model, aspect ratio and resolution (the shape of a
# real product batch), so validation reads every field of every line. (Gemini 2.5 Flash
# Image makes 1K only, 3.1 Flash Image also 2K: the lines ask what each model offers.)
import json, sys
print(json.dumps({"name": "big", "defaults": {}}))
models = ["google/gemini-2.5-flash-image", "google/gemini-3.1-flash-image-preview"]
for i in range(int(sys.argv[1])):
    print(json.dumps({"id": f"img{i:06d}", "prompt": f"A watercolor painting of scene number {i}, mountains and a lake at dawn, soft light",
                      "model": "openrouter/" + models[i % 2], "aspectRatio": "16:9", "resolution": ["1K", "2K"][i % 2]}))
PY

python3 - "$N" >"$work/rows.csv" <<'PY'
# A catalog of N products: quoted names with commas and quotes, a brace, non-ASCII.
import csv, sys
writer = csv.writer(sys.stdout, lineterminator="\r\n")
writer.writerow(["sku", "name", "colour", "ratio"])
for i in range(int(sys.argv[1])):
    writer.writerow([f"SKU{i:06d}", f'Mug "No. {i}", 350 ml {{classic}}', "crème" if i % 2 else "sage green", "16:9" if i % 3 else "1:1"])
PY
cat >"$work/rows.json" <<'JSON'
{"name": "rows", "rows": "rows.csv",
 "defaults": {"image": {"model": "openrouter/google/gemini-3.1-flash-image-preview", "resolution": "2K"}},
 "tasks": [{"id": "{sku}", "prompt": "Studio photo of the {name} in {colour}, soft light", "aspectRatio": "{ratio}"}]}
JSON

# Timing a manifest that fails validation would time its error messages: check first.
for manifest in big.jsonl rows.json; do
  if ! OPENROUTER_API_KEY=bench "$bin/mediabatch" validate --offline "$work/$manifest" --output-root "$work/check" >/dev/null 2>"$work/invalid"; then
    echo "bench-scale: $manifest does not validate:" >&2; head -3 "$work/invalid" >&2; exit 1
  fi
done

seconds() { /usr/bin/time -f '%e' -o "$work/t" "$@" >/dev/null 2>&1; cat "$work/t"; }
peak_mib() { /usr/bin/time -f '%M' -o "$work/m" "$@" >/dev/null 2>&1; echo "$(cat "$work/m")" | awk '{printf "%.1f", $1 / 1024}'; }
export OPENROUTER_API_KEY=bench
# plan: the median of three runs (the first also warms the page cache).
plans=$(for _ in 1 2 3; do seconds "$bin/mediabatch" plan --offline "$work/big.jsonl" --output-root "$out"; done | sort -n | tr '\n' ' ')
plan=$(echo "$plans" | cut -d' ' -f2)
validate=$(seconds "$bin/mediabatch" validate --offline "$work/big.jsonl" --output-root "$out")
jsonl_mib=$(peak_mib "$bin/mediabatch" plan --offline "$work/big.jsonl" --output-root "$out")
rows_plans=$(for _ in 1 2 3; do seconds "$bin/mediabatch" plan --offline "$work/rows.json" --output-root "$out"; done | sort -n | tr '\n' ' ')
rows_plan=$(echo "$rows_plans" | cut -d' ' -f2)
rows_mib=$(peak_mib "$bin/mediabatch" plan --offline "$work/rows.json" --output-root "$out")
rows_half_mib=$(head -n $(( N / 2 + 1 )) "$work/rows.csv" >"$work/half.csv" && sed 's/rows.csv/half.csv/' "$work/rows.json" >"$work/half.json" && peak_mib "$bin/mediabatch" plan --offline "$work/half.json" --output-root "$out")
rows_ten_mib=$(head -n 11 "$work/rows.csv" >"$work/ten.csv" && sed 's/rows.csv/ten.csv/' "$work/rows.json" >"$work/ten.json" && peak_mib "$bin/mediabatch" plan --offline "$work/ten.json" --output-root "$out")
fill=$(seconds "$bin/mediabatch" run "$work/big.jsonl" --output-root "$out" --base-url "$base" --concurrency 16 --quiet)
files=$(find "$out/big" -name '*.png' | wc -l)
journal=$(wc -l <"$out/big/.mediabatch/journal.jsonl")
before=$(curl -s "${base%/api/v1}/__fake/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])')
rerun=$(seconds "$bin/mediabatch" run "$work/big.jsonl" --output-root "$out" --base-url "$base" --quiet)
after=$(curl -s "${base%/api/v1}/__fake/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])')

echo "plan runs (s): $plans; rows plan runs (s): $rows_plans"
python3 - "$N" "$plan" "$validate" "$fill" "$files" "$journal" "$rerun" "$before" "$after" "$rows_plan" "$rows_mib" "$rows_half_mib" "$jsonl_mib" "$rows_ten_mib" <<'PY'
import sys
n, plan, validate, fill, files, journal, rerun, before, after, rows_plan, rows_mib, rows_half_mib, jsonl_mib, rows_ten_mib = sys.argv[1:]
rows_plan = float(rows_plan)
n, plan, validate, fill, rerun = int(n), float(plan), float(validate), float(fill), float(rerun)
resume = rerun - validate
def line(name, value, target, good):
    print(f"{name:<34} {value:<14} {target:<12} {'ok' if good else 'MISSED'}")
print(f"mediabatch scale bench: N={n} tasks of ~200 bytes (journal {journal} lines, {files} files)")
line("plan seconds (median of 3)", f"{plan:.2f}", "< 1.00", plan < 1)
line("rows: plan of N-row CSV (median)", f"{rows_plan:.2f}", "< 1.00", rows_plan < 1)
line("rows: peak MiB, N / N/2 / 10 rows", f"{rows_mib} / {rows_half_mib} / {rows_ten_mib}", "(info)", True)
# What a task adds to the plan's peak: the rows themselves are streamed; what stays is a few
# dozen bytes of index a task (the output-path claims, the reference index, the listing's).
per_task = (float(rows_mib) - float(rows_half_mib)) * 1048576 / (n - n // 2)
line("rows: peak bytes a task (N vs N/2)", f"{per_task:.0f}", "< 256", per_task < 256)
line("jsonl: peak MiB of plan, N lines", f"{jsonl_mib}", "(info)", True)
line("validate seconds", f"{validate:.2f}", "(info)", True)
line("fill run seconds", f"{fill:.1f}", "(info)", True)
line("rerun seconds (all done)", f"{rerun:.2f}", "(info)", True)
line("resume check = rerun - validate", f"{resume:.2f}", "< 1.00", resume < 1)
line("requests sent by the rerun", f"{int(after) - int(before)}", "0", int(after) == int(before))
PY
exit 0
