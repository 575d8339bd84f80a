#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite.
#   scripts/test.sh [swift test options]
#   scripts/test.sh --sanitize [swift test options]   the suite under AddressSanitizer, then
#       under ThreadSanitizer (scratch paths .build-asan and .build-tsan; logs in each);
#       exits non-zero when either run fails or reports anything.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
if [ "${1:-}" = "--sanitize" ]; then
  shift
  # Swift's crash backtracer would fight the sanitizers for the report.
  export SWIFT_BACKTRACE=${SWIFT_BACKTRACE:-enable=no}
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
  export TSAN_OPTIONS=${TSAN_OPTIONS:-second_deadlock_stack=1}
  # Leaks inside the toolchain's own libraries, not in mediabatch's code (see
  # docs/security.md): XCTest's bookkeeping, String(contentsOf:) in FoundationEssentials,
  # Foundation's Process.run. LeakSanitizer still prints how often each one matched.
  mkdir -p .build-asan
  printf '%s\n' 'leak:libXCTest.so' 'leak:readBytesFromFile' 'leak:Foundation7ProcessC3run' > .build-asan/lsan.supp
  export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/.build-asan/lsan.supp:print_suppressions=1}
  failed=()
  for sanitizer in address thread; do
    scratch=.build-asan
    [ "$sanitizer" = thread ] && scratch=.build-tsan
    log=$scratch/sanitize-test.log
    echo "== $sanitizer sanitizer: build into $scratch" >&2
    swift build --build-tests --sanitize="$sanitizer" --scratch-path "$scratch"
    echo "== $sanitizer sanitizer: swift test (log: $log)" >&2
    status=0
    # Tests that cannot run under a sanitizer's runtime read this (see GuardTests).
    export MEDIABATCH_SANITIZER=$sanitizer
    swift test --skip-build --sanitize="$sanitizer" --scratch-path "$scratch" "$@" 2>&1 | tee "$log" || status=$?
    if [ "$status" -ne 0 ] || grep -q -E "ERROR: AddressSanitizer|WARNING: ThreadSanitizer|ERROR: LeakSanitizer|SUMMARY: (Address|Thread|Leak|UndefinedBehavior)Sanitizer" "$log"; then
      failed+=("$sanitizer")
      grep -E "SUMMARY: .*Sanitizer" "$log" | sort | uniq -c >&2 || true
    fi
  done
  if [ ${#failed[@]} -gt 0 ]; then
    echo "== sanitizer runs with failures or reports: ${failed[*]}" >&2
    exit 1
  fi
  echo "== address and thread sanitizer runs: clean" >&2
  exit 0
fi
swift build
swift test "$@"
