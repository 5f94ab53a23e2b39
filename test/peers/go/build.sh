#!/usr/bin/env bash
# Builds the Go peer (armory/go-yaml-tools' TLS, see main.go) into
# ~/.cache/spinnaker-mtls/go-peer-<hash>/go-peer, keyed by the hash of
# go.mod, go.sum and main.go, and reuses a binary already built from the same
# inputs. Prints the binary's path on stdout; build output goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if ! command -v go >/dev/null 2>&1; then
    echo "go-peer: the go command is not on PATH; install Go (1.22 or later) to build the Go peer" >&2
    exit 127
fi

hash="$(cd "$here" && cat go.mod go.sum main.go | sha256sum | cut -c1-16)"
out="${SPINNAKER_MTLS_CACHE:-$HOME/.cache/spinnaker-mtls}/go-peer-$hash"
bin="$out/go-peer"

if [ ! -x "$bin" ]; then
    mkdir -p "$out"
    tmp="$(mktemp "$out/go-peer.XXXXXX")"
    trap 'rm -f "$tmp"' EXIT
    start=$(date +%s)
    # -mod=readonly: go.sum is the whole truth; a build never edits it.
    (cd "$here" && GOFLAGS=-mod=readonly nice -n 19 go build -trimpath -o "$tmp" .)
    mv "$tmp" "$bin"
    trap - EXIT
    echo "go-peer: built $bin in $(($(date +%s) - start)) s" >&2
fi
echo "$bin"
