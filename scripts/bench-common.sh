# Sourced by the benchmark scripts: builds the release binaries and starts the fake
# OpenRouter on loopback. After `bench_start_fake ARGS...`: $bin, $work (a temp folder
# removed on exit), $out (the output root, inside $work) and $base (the fake's base URL)
# are set.
bench_build() {
  scripts/bootstrap.sh
  swift build -c release --product mediabatch >/dev/null 2>&1 || swift build -c release --product mediabatch
  swift build -c release --product fake-openrouter >/dev/null 2>&1 || swift build -c release --product fake-openrouter
  bin=$(swift build -c release --show-bin-path)
}

bench_start_fake() {
  work=$(mktemp -d)
  # run fetches the model lists when none are cached: the fake's go here, not the user's cache.
  export XDG_CACHE_HOME="$work/cache"
  # ext4 without a journal (this VM's disk) skips inodes freed in the last 30 s when it
  # allocates one, scanning past them: right after the previous benchmark deleted its
  # thousands of files, every new file would cost ~0.7 ms more system CPU. Marking the work
  # folder as a top of hierarchy (+T) lets ext4's Orlov allocator put the output folders in
  # other block groups (chosen by a hash of the name, hence a random one), so runs do not
  # measure each other's cleanup. $out is the output root to use.
  chattr +T "$work" 2>/dev/null || true
  out="$work/out-$RANDOM$RANDOM"
  trap 'kill $fake 2>/dev/null; wait $fake 2>/dev/null; rm -rf "$work"' EXIT
  "$bin/fake-openrouter" --port 0 "$@" >"$work/fake.log" &
  fake=$!
  for _ in $(seq 1 100); do grep -q '^listening on ' "$work/fake.log" && break; sleep 0.05; done
  base=$(sed -n 's/^listening on //p' "$work/fake.log" | head -1)
  # The model lists are cached before anything is timed (a real cron run finds them cached:
  # they keep for a day), and the fake's counters start from zero after that.
  OPENROUTER_API_KEY=bench "$bin/mediabatch" models --base-url "$base" >/dev/null 2>&1 || true
  curl -s -X POST "${base%/api/v1}/__fake/reset" >/dev/null
}
