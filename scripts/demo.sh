#!/usr/bin/env bash
# Installs what is missing, builds, starts the fake OpenRouter on loopback, runs the
# example jobs against it, stops it, and lists what was written under output/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
swift build -c release --product mediabatch >&2
swift build -c release --product fake-openrouter >&2
bin=$(swift build -c release --show-bin-path)

log=$(mktemp)
# The fake's model lists must not land in the user's own cache (run fetches them when missing).
export XDG_CACHE_HOME=$(mktemp -d)
# Speech comes as audible tones at levels that differ from chunk to chunk, which the
# narrations' loudness levelling evens out (ffmpeg's ebur128 filter can check the files).
"$bin/fake-openrouter" --port 0 --latency-ms 300 --speech-amplitudes 0.02,0.08,0.3 >"$log" &
fake=$!
trap 'kill $fake 2>/dev/null || true; rm -f "$log"; rm -rf "$XDG_CACHE_HOME"' EXIT
for _ in $(seq 1 100); do grep -q '^listening on ' "$log" && break; sleep 0.1; done
base=$(sed -n 's/^listening on //p' "$log" | head -1)
[ -n "$base" ] || { echo "demo: the fake server did not start" >&2; cat "$log" >&2; exit 1; }
echo "demo: fake OpenRouter at $base" >&2

# Video jobs (jobs/storyboard.json: two stills, each animated into a 4 s clip from it as first
# frame) take the fake 2 s to render; polled from 1 s on.
OPENROUTER_API_KEY=demo-key "$bin/mediabatch" run jobs/ --base-url "$base" --concurrency 4 --video-poll 1,1.5,5

echo >&2
echo "demo: files under output/:" >&2
find output -type f ! -name '.*' ! -name '*.json' ! -name 'index.html' ! -path '*/.mediabatch/*' | sort | while read -r f; do
  case "$f" in
    *.mp3|*.wav) info="audio, $(ffprobe -v error -show_entries format=duration -of csv=p=0 "$f" 2>/dev/null) s" ;;
    *.mp4|*.mov) info="video, $(ffprobe -v error -show_entries format=duration -of csv=p=0 "$f" 2>/dev/null) s" ;;
    *) info=$(file -b "$f" 2>/dev/null | cut -c1-60) ;;
  esac
  printf '  %-58s %s\n' "$f" "$info"
done
echo "demo: beside each file a <file>.json sidecar; galleries to open in a browser:" >&2
find output -name index.html | sort | sed 's/^/  /' >&2
