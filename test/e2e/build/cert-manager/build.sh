#!/usr/bin/env bash
# Builds cert-manager's controller and webhook for the end-to-end tests
# (issue 13) from the cert-manager Go module, into a cache folder outside the
# repository, and reuses it when it is already there:
#
#   ~/.cache/spinnaker-mtls/cert-manager-<version>-<hash>/
#     bin/cert-manager-e2e   `controller` and `webhook` subcommands (main.go)
#     status.tsv             one row per part: name, state (built/refused), label, detail
#     timings.tsv            seconds the build took (cold runs only)
#     cert-manager.env       sourceable: E2E_CERT_MANAGER_*
#
# <hash> covers this folder's Go files, go.mod and go.sum (not this script).
# Usage: bash test/e2e/build/cert-manager/build.sh   # prints the env file's path
# Everything else goes to stderr. Only Go modules are downloaded, through the
# module proxy.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CERT_MANAGER_VERSION=v1.21.2
log() { printf '[cert-manager] %s\n' "$*" >&2; }
# shellcheck source=test/e2e/build/lib.sh
source "$here/../lib.sh"

hash="$(cd "$here" && { echo "$CERT_MANAGER_VERSION $(build_settings)"; LC_ALL=C ls go.mod go.sum ./*.go | xargs sha256sum; } | sha256sum | cut -c1-12)"
dir="${SPINNAKER_MTLS_CACHE:-$HOME/.cache/spinnaker-mtls}/cert-manager-$CERT_MANAGER_VERSION-$hash"
bin="$dir/bin/cert-manager-e2e"
mkdir -p "$dir/bin" "$dir/logs"
touch "$dir/status.tsv" "$dir/timings.tsv"


# proxy_answer MODULE@VERSION: the proxy's error for that module, empty when it serves it.
proxy_answer() {
  local out proxy
  # The first proxy only: a fallback to "direct" would report git's failure
  # to reach github.com instead of the proxy's answer.
  proxy="$(go env GOPROXY | cut -d, -f1 | cut -d'|' -f1)"
  out=$(cd "$dir" && GOPROXY="$proxy" GOFLAGS=-mod=mod go mod download -json "$1" 2>&1) || true
  sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p' <<<"$out" | head -n1 | sed 's/\\n\\t/ /g'
}

# Upstream's command modules, asked once per cache folder: why the binary is a
# main of our own (see main.go).
if ! grep -q '^cmctl' "$dir/status.tsv"; then
  for m in controller webhook ctl; do
    refusal=$(proxy_answer "github.com/cert-manager/cert-manager/cmd/$m@$CERT_MANAGER_VERSION")
    if [[ -n "$refusal" ]]; then set_status "cmd/$m" refused "-" "proxy: $refusal"; fi
  done
  refusal=$(proxy_answer "github.com/cert-manager/cmctl/v2@latest")
  set_status cmctl "$([[ -n "$refusal" ]] && echo refused || echo available)" "-" "${refusal:+proxy: $refusal}"
fi

if resolve_only; then
  (cd "$here" && GOFLAGS=-mod=readonly go list -m all > /dev/null)
  log "resolved"
  echo "$dir/cert-manager.env"
  exit 0
fi

if [[ ! -x "$bin" ]]; then
  start=$(date +%s)
  log "building cert-manager-e2e from github.com/cert-manager/cert-manager@$CERT_MANAGER_VERSION (log: $dir/logs/build.log)"
  tmp="$(mktemp "$dir/bin/cert-manager-e2e.XXXXXX")"
  trap 'rm -f "$tmp"' EXIT
  # -mod=readonly: go.sum is the whole truth; a build never edits the repository.
  if ! (cd "$here" && GOFLAGS="-mod=readonly -trimpath -buildvcs=false" nice -n 19 go build \
        -ldflags "-X github.com/cert-manager/cert-manager/pkg/util.AppVersion=$CERT_MANAGER_VERSION" \
        -o "$tmp" .) > "$dir/logs/build.log" 2>&1; then
    log "FAILED; last lines of the log:"
    tail -n 30 "$dir/logs/build.log" >&2
    exit 1
  fi
  mv "$tmp" "$bin"
  trap - EXIT
  took=$(( $(date +%s) - start ))
  printf 'cert-manager-e2e\t%s\n' "$took" >> "$dir/timings.tsv"
  set_status cert-manager-e2e built "$CERT_MANAGER_VERSION" "github.com/cert-manager/cert-manager@$CERT_MANAGER_VERSION pkg/ and internal/, wired by test/e2e/build/cert-manager"
  log "built in $took s"
fi

cat > "$dir/cert-manager.env" <<ENV
# Written by test/e2e/build/cert-manager/build.sh; source it.
export E2E_CERT_MANAGER_DIR='$dir'
export E2E_CERT_MANAGER_BIN='$bin'
export E2E_CERT_MANAGER_VERSION='$CERT_MANAGER_VERSION'
ENV
column -t -s $'\t' "$dir/status.tsv" >&2 || cat "$dir/status.tsv" >&2
echo "$dir/cert-manager.env"
