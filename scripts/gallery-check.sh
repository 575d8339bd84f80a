#!/usr/bin/env bash
# Checks the index.html gallery in a real browser: installs headless Chromium (Debian's
# package) if missing, runs a small batch against the fake OpenRouter, opens the gallery in
# Chromium, asserts that every image on the page loaded (complete, with pixels), and
# renders a screenshot to look at; then checks, on every page of the gallery, that every
# thumbnail is a JPEG under .mediabatch/thumbs/ and every link and source names a file that
# exists. Prints what it found; exits 1 if an image did not load or a link is dead.
#
#   scripts/gallery-check.sh [SCREENSHOT.png]
set -euo pipefail
cd "$(dirname "$0")/.."
shot=${1:-gallery.png}
case "$shot" in /*) ;; *) shot="$PWD/$shot" ;; esac

if ! command -v chromium >/dev/null 2>&1; then
  echo "gallery-check: installing chromium" >&2
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
. scripts/bench-common.sh
# The debug binaries (what scripts/test.sh just built, in CI): a gallery is the same either way.
scripts/bootstrap.sh
swift build --product mediabatch >/dev/null 2>&1 || swift build --product mediabatch
swift build --product fake-openrouter >/dev/null 2>&1 || swift build --product fake-openrouter
bin=$(swift build --show-bin-path)
bench_start_fake

cat >"$work/m.json" <<'JSON'
{"name": "gallery", "vars": {"thing": ["lighthouse", "fox", "teapot"]},
 "tasks": [{"id": "{thing}", "prompt": "A watercolor {thing} <at> dawn & \"dusk\"", "model": "openrouter/google/gemini-2.5-flash-image",
            "aspectRatio": ["1:1", "16:9"]},
           {"id": "intro", "type": "tts", "text": "A short narration for the gallery."},
           {"id": "refused", "prompt": "#fake:status=400", "model": "openrouter/google/gemini-2.5-flash-image"}]}
JSON
OPENROUTER_API_KEY=gallery "$bin/mediabatch" run "$work/m.json" --output-root "$work/out" --base-url "$base" --quiet || true
gallery="$work/out/gallery/index.html"

# A test page beside the gallery frames it and reports, once loaded, which images rendered.
cat >"$work/out/gallery/check.html" <<'HTML'
<!doctype html><html><body><iframe id="g" src="index.html" style="width:1200px;height:900px"></iframe>
<script>
document.getElementById('g').addEventListener('load', function () {
  var doc = this.contentDocument, images = Array.from(doc.images);
  var bad = images.filter(function (i) { return !(i.complete && i.naturalWidth > 0); }).map(function (i) { return i.getAttribute('src'); });
  document.body.setAttribute('data-images', String(images.length));
  document.body.setAttribute('data-broken', bad.join(' '));
  document.body.setAttribute('data-audio', String(doc.querySelectorAll('audio').length));
});
</script></body></html>
HTML
flags=(--headless --no-sandbox --disable-gpu --allow-file-access-from-files --virtual-time-budget=10000)
dom=$(chromium "${flags[@]}" --dump-dom "file://$work/out/gallery/check.html" 2>/dev/null)
chromium "${flags[@]}" --window-size=1280,1000 --screenshot="$shot" "file://$gallery" >/dev/null 2>&1 || true

images=$(sed -n 's/.*data-images="\([0-9]*\)".*/\1/p' <<<"$dom")
broken=$(sed -n 's/.*data-broken="\([^"]*\)".*/\1/p' <<<"$dom")
audio=$(sed -n 's/.*data-audio="\([0-9]*\)".*/\1/p' <<<"$dom")
echo "gallery-check: $images images on the page, broken: [${broken}], audio players: $audio, screenshot: $shot"
[ "${images:-0}" -eq 6 ] && [ -z "$broken" ] && [ "${audio:-0}" -eq 1 ] || { echo "gallery-check: FAILED" >&2; exit 1; }
# Every page: thumbnails from .mediabatch/thumbs/, every href and src an existing file.
dead=""
for page in "$work/out/gallery"/index.html "$work/out/gallery"/page-*.html; do
  [ -f "$page" ] || continue
  for target in $(grep -o '\(href\|src\)="[^"]*"' "$page" | sed 's/^[a-z]*="\(.*\)"$/\1/'); do
    [ -f "$work/out/gallery/$(printf '%b' "${target//%/\\x}")" ] || dead="$dead $(basename "$page"):$target"
  done
  grep -o '<img [^>]*src="[^"]*"' "$page" | grep -v 'src=".mediabatch/thumbs/[0-9a-f]*\.jpg"' && dead="$dead $(basename "$page"):full-size-image"
done
[ -z "$dead" ] || { echo "gallery-check: dead links or full-size images:$dead" >&2; exit 1; }
echo "gallery-check: ok"
