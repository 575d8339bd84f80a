#!/usr/bin/env bash
# Installs the Debian packages mediabatch needs, only those that are missing. Idempotent;
# runs as root (or through sudo) on a fresh Debian machine with the Swift toolchain.
set -euo pipefail

packages=(
  libcurl4-openssl-dev   # HTTP client (CCurl)
  libjansson-dev         # JSON (CJansson)
  libssl-dev             # SHA-256 through libcrypto (CCrypto)
  zlib1g-dev             # PNG encoding in the fake server (CZlib)
  libvips-dev            # thumbnails and downscaling (CVips loads libvips42 at run time)
  libmpg123-dev          # decoding narrations to measure their loudness (CMpg123)
  libebur128-dev         # EBU R128 loudness of narrations (CEbur128)
  libmp3lame-dev         # the fake server's audible test tones (CLame; the fake only)
  pkg-config             # SwiftPM finds the libraries through it
  mpg123                 # independent mp3 decoder for the tests
  ffmpeg                 # ffprobe and test mp3s for the tests
  file                   # the demo names what it wrote
)

# The schema-conformance tests validate requests with Python's jsonschema against the
# OpenAPI document (PyYAML reads it); both come from PyPI when missing.
if ! python3 -c 'import yaml, jsonschema' >/dev/null 2>&1; then
  echo "bootstrap: installing pyyaml and jsonschema (pip)" >&2
  python3 -m pip install --quiet pyyaml jsonschema >&2
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "bootstrap: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
