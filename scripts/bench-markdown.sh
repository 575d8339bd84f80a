#!/usr/bin/env bash
# Speed target of text made for speaking: a 1 MB Markdown text converts in well under
# 100 ms (release build, one core). Compiles the Narration module's sources with
# scripts/bench-markdown/main.swift (-O) and runs it; exits 1 when slower than LIMIT_MS.
#
#   scripts/bench-markdown.sh [LIMIT_MS]     default 100
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
swiftc -O -parse-as-library -package-name mediabatch -module-name BenchMarkdown \
  Sources/Narration/*.swift scripts/bench-markdown/main.swift -o "$out/bench-markdown"
"$out/bench-markdown" "${1:-100}"
