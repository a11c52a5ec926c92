#!/usr/bin/env bash
# Build FerretDB into the cache; print the binary path. Idempotent.
# `go install ...@v1.24.2` fails on this network (see deploy/README.md), so:
# go get into a scratch module, copy the module source, stamp the version, build.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/../lib/common.sh"

installed() {
  local out
  # No `| grep -q` here: with pipefail, grep quitting early can SIGPIPE ferretdb and fail the check.
  out=$("$FERRETDB_BIN" --version 2>/dev/null) || return 1
  [[ $out == *"version: $FERRETDB_VERSION"* ]]
}

installed && { echo "$FERRETDB_BIN"; exit 0; }

# Parallel `stack up`s (e.g. test runs) must not build into the same path at once.
mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/.ferretdb-install.lock"
flock 9
installed && { echo "$FERRETDB_BIN"; exit 0; }

log "building FerretDB $FERRETDB_VERSION into $FERRETDB_BIN ..."
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

if ! (cd "$work" && go mod init ferretbuild && go get "github.com/FerretDB/FerretDB/cmd/ferretdb@$FERRETDB_VERSION") >"$work/get.log" 2>&1; then
  cat "$work/get.log" >&2
  die "could not fetch FerretDB $FERRETDB_VERSION from the Go module proxy"
fi
src=$(go env GOMODCACHE)/github.com/!ferret!d!b/!ferret!d!b@$FERRETDB_VERSION
cp -r "$src" "$work/src"
chmod -R u+w "$work/src"
echo "$FERRETDB_VERSION" > "$work/src/build/version/version.txt"  # binary panics without it
mkdir -p "$(dirname "$FERRETDB_BIN")"
(cd "$work/src" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -o "$FERRETDB_BIN.tmp" ./cmd/ferretdb >&2)
mv "$FERRETDB_BIN.tmp" "$FERRETDB_BIN"
echo "$FERRETDB_BIN"
