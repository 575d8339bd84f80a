#!/usr/bin/env bash
# Builds and runs the libFuzzer targets in Tests/Fuzz (Linux; Swift's -sanitize=fuzzer).
#
#   scripts/fuzz.sh TARGET SECONDS     TARGET: fuzz-manifest | fuzz-response | fuzz-media | fuzz-rows |
#                                              fuzz-splitter | all (each in turn, never at once)
#   scripts/fuzz.sh --build-only [TARGET|all]
#   scripts/fuzz.sh --reproduce TARGET FILE...   run the target once on each FILE (a crash)
#
# Crashes, timeouts and out-of-memory inputs go to Tests/Fuzz/crashes/<target>/; the corpus
# grows in Tests/Fuzz/corpus-work/<target>/ (git-ignored) on top of the committed seeds in
# Tests/Fuzz/Corpus/<target>/. One fuzzing process runs at a time (one core).
#
# Environment: MEDIABATCH_FUZZ_SOURCE (default: this repository) fuzzes another checkout of
# mediabatch, e.g. a `git archive HEAD` snapshot while the working tree is being edited;
# FUZZ_SANITIZERS (default "fuzzer,address"), FUZZ_FORK=1 to run libFuzzer in
# fork mode (one child at a time; a crash is recorded and fuzzing goes on), FUZZ_ARGS for
# extra libFuzzer flags (e.g. "-max_len=8192").
set -euo pipefail
# Swift's own crash backtracer would fight ASan and libFuzzer for the crash report.
export SWIFT_BACKTRACE=${SWIFT_BACKTRACE:-enable=no}
cd "$(dirname "$0")/.."

targets=(fuzz-manifest fuzz-response fuzz-media fuzz-splitter fuzz-rows)
package=Tests/Fuzz
scratch=Tests/Fuzz/.build
sanitizers=${FUZZ_SANITIZERS:-fuzzer,address}

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64; }

known() { local t; for t in "${targets[@]}"; do [ "$t" = "$1" ] && return 0; done; return 1; }

build() {
  local target=$1
  # -parse-as-library: no Swift `main`, libFuzzer's own main calls LLVMFuzzerTestOneInput.
  swift build -c release --package-path "$package" --scratch-path "$scratch" \
    --product "$target" -Xswiftc "-sanitize=$sanitizers" -Xswiftc -parse-as-library >&2
}

binary() { echo "$scratch/release/$1"; }

run() {
  local target=$1 seconds=$2
  local crashes="$package/crashes/$target" work="$package/corpus-work/$target" seeds="$package/Corpus/$target"
  mkdir -p "$crashes" "$work"
  local args=(-max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 -print_final_stats=1
              -artifact_prefix="$crashes/")
  [ -f "$package/Dictionaries/$target.dict" ] && args+=(-dict="$package/Dictionaries/$target.dict")
  [ "${FUZZ_FORK:-0}" = 1 ] && args+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  # shellcheck disable=SC2206
  [ -n "${FUZZ_ARGS:-}" ] && args+=(${FUZZ_ARGS})
  echo "== $target: ${seconds}s, corpus $work + $seeds, crashes to $crashes/" >&2
  local status=0
  "$(binary "$target")" "${args[@]}" "$work" "$seeds" || status=$?
  local found
  found=$(find "$crashes" -type f | wc -l)
  echo "== $target: exit $status; $found file(s) in $crashes/" >&2
  return "$status"
}

case "${1:-}" in
  --build-only)
    which=${2:-all}
    if [ "$which" = all ]; then for t in "${targets[@]}"; do build "$t"; done
    else known "$which" || usage; build "$which"; fi
    ;;
  --reproduce)
    [ $# -ge 3 ] || usage
    known "$2" || usage
    build "$2"
    target=$2; shift 2
    "$(binary "$target")" -runs=1 "$@"
    ;;
  "" | -h | --help) usage ;;
  *)
    [ $# -eq 2 ] || usage
    which=$1 seconds=$2
    [[ "$seconds" =~ ^[0-9]+$ ]] || usage
    if [ "$which" = all ]; then
      for t in "${targets[@]}"; do build "$t"; done
      overall=0
      for t in "${targets[@]}"; do run "$t" "$seconds" || overall=1; done
      exit "$overall"
    fi
    known "$which" || usage
    build "$which"
    run "$which" "$seconds"
    ;;
esac
