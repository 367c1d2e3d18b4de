#!/usr/bin/env bash
# Builds the template engine (tools/template-engine: Go's text/template with the functions of
# External Secrets Operator's v2 templates) to WebAssembly, GOOS=wasip1 GOARCH=wasm, into a
# cache shared by every clone on the machine, keyed by the Go version and a digest of the
# module's sources, then copies it to dist/template-engine.wasm, where the operator loads it.
# Prints the cached file on its last line.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/tools/template-engine"
gover=$(go env GOVERSION)
digest=$(cd "$src" && cat go.mod go.sum $(ls *.go | sort) | sha256sum | cut -c1-16)
cache_root=${KEYFERRY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/keyferry}
dest="$cache_root/template-engine/$gover-$digest"
wasm="$dest/template-engine.wasm"
out="$root/dist/template-engine.wasm"

if [ ! -s "$wasm" ]; then
  mkdir -p "$dest"
  exec 9>"$dest.lock"
  flock 9
  if [ ! -s "$wasm" ]; then
    start=$(date +%s)
    echo "template engine: building with $gover into $dest (cold build: ~2 min on 2 cores)" >&2
    (cd "$src" && GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -ldflags=-s -o "$wasm.tmp" .)
    mv "$wasm.tmp" "$wasm"
    echo "template engine: built in $(( $(date +%s) - start )) s (cold)" >&2
  fi
fi
mkdir -p "$root/dist"
cmp -s "$wasm" "$out" 2>/dev/null || cp "$wasm" "$out"
echo "$wasm"
