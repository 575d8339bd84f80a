#!/usr/bin/env bash
# Builds mediabatch in release mode and installs it: the binary, its man page and its shell
# completions. Idempotent (files are replaced whole, never edited in place).
#
#   scripts/install.sh                 # into /usr/local (PREFIX), as root
#   scripts/install.sh ~/.local        # PREFIX as the first argument
#   PREFIX=/usr DESTDIR=pkgroot scripts/install.sh   # staged, for packaging
#   scripts/install.sh --uninstall [PREFIX]          # removes exactly what it installed
#
# Installed:  $PREFIX/bin/mediabatch
#             $PREFIX/share/man/man1/mediabatch*.1           (argument-parser's generate-manual)
#             $PREFIX/share/bash-completion/completions/mediabatch
#             $PREFIX/share/zsh/site-functions/_mediabatch
#             $PREFIX/share/fish/vendor_completions.d/mediabatch.fish
# MEDIABATCH_BIN=path skips the build and installs that binary (tests use the debug build);
# MEDIABATCH_NO_MANUAL=1 skips the man pages (the manual plugin takes minutes, and cannot run
# while another SwiftPM process holds the build folder, as under `swift test`).
set -euo pipefail
cd "$(dirname "$0")/.."

uninstall=0
if [ "${1:-}" = "--uninstall" ]; then uninstall=1; shift; fi
PREFIX=${1:-${PREFIX:-/usr/local}}
DESTDIR=${DESTDIR:-}
root="$DESTDIR$PREFIX"

files=(
  bin/mediabatch
  share/bash-completion/completions/mediabatch
  share/zsh/site-functions/_mediabatch
  share/fish/vendor_completions.d/mediabatch.fish
)

if [ $uninstall -eq 1 ]; then
  for file in "${files[@]}"; do rm -f "$root/$file"; done
  rm -f "$root"/share/man/man1/mediabatch.1 "$root"/share/man/man1/mediabatch.*.1
  echo "install: removed mediabatch from $root" >&2
  exit 0
fi

bin=${MEDIABATCH_BIN:-}
if [ -z "$bin" ]; then
  scripts/bootstrap.sh
  swift build -c release --product mediabatch >&2
  bin=$(swift build -c release --show-bin-path)/mediabatch
fi

# Each file is written beside its target and renamed over it: never a half-written binary.
put() { # put MODE TARGET < content
  local target="$root/$2"
  mkdir -p "$(dirname "$target")"
  local temp
  temp=$(mktemp "$target.XXXXXX")
  cat >"$temp"
  chmod "$1" "$temp"
  mv -f "$temp" "$target"
}

put 755 bin/mediabatch <"$bin"
for shell in bash zsh fish; do
  case $shell in
    bash) target=share/bash-completion/completions/mediabatch ;;
    zsh) target=share/zsh/site-functions/_mediabatch ;;
    fish) target=share/fish/vendor_completions.d/mediabatch.fish ;;
  esac
  "$bin" --generate-completion-script $shell | put 644 "$target"
done

# The man pages come from the same help text (swift-argument-parser's manual plugin).
manual=$(mktemp -d)
trap 'rm -rf "$manual"' EXIT
if [ -n "${MEDIABATCH_NO_MANUAL:-}" ]; then
  echo "install: MEDIABATCH_NO_MANUAL is set; no man page installed" >&2
elif swift package plugin --list 2>/dev/null | grep -q generate-manual \
   && swift package --allow-writing-to-directory "$manual" generate-manual --multi-page --output-directory "$manual" >/dev/null 2>&1; then
  for page in $(find "$manual" -name '*.1'); do put 644 "share/man/man1/$(basename "$page")" <"$page"; done
else
  echo "install: the generate-manual plugin is not available; no man page installed" >&2
fi
echo "install: mediabatch $("$bin" --version) in $root (uninstall: scripts/install.sh --uninstall $PREFIX)" >&2
