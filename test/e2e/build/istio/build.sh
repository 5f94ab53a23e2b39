#!/usr/bin/env bash
# Builds istioctl (issue 13) from the istio.io/istio Go module, and
# analyzefiles (this folder's command over istioctl's analyzers, see its
# main.go), into a cache folder outside the repository, and reuses it when it
# is already there:
#
#   ~/.cache/spinnaker-mtls/istioctl-<pseudo-version>-<hash>/
#     bin/istioctl      built from istio.io/istio/istioctl/cmd/istioctl
#     bin/analyzefiles  built from ./analyzefiles against the same module
#     status.tsv        name, state (built/refused/failed), label, detail
#     timings.tsv       seconds the build took (one build for both)
#     istio.env         sourceable: E2E_ISTIOCTL, E2E_ISTIO_ANALYZE_FILES,
#                       E2E_ISTIO_VERSION, E2E_ISTIO_MISSING
#
# <hash> covers the wrapper module's files (go.mod, go.sum, tools.go,
# analyzefiles/main.go), so a change to the pinned version, its checksums or
# the command builds a fresh folder.
#
# Usage: bash test/e2e/build/istio/build.sh   # build or reuse, print env file path
# Everything else the script prints goes to stderr. Only the Go module proxy is
# used; a refusal is recorded in status.tsv and E2E_ISTIO_MISSING, and the
# script still prints the env file so that tests fail with the reason.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

ISTIO_MODULE=istio.io/istio
# The proxy serves no tagged istio.io/istio version; this pseudo-version is the
# newest it lists (commit eed52ebb66ad; the tree's VERSION file says 1.31).
ISTIO_VERSION=v0.0.0-20260827124520-eed52ebb66ad
ISTIO_COMMIT=eed52ebb66ad

log() { printf '[istio] %s\n' "$*" >&2; }
# shellcheck source=test/e2e/build/lib.sh
source "$here/../lib.sh"

wrapper_hash="$( { echo "$ISTIO_VERSION $(build_settings)"
  cd "$here" && sha256sum go.mod go.sum tools.go analyzefiles/main.go; } | sha256sum | cut -c1-12)"
cache_root="${SPINNAKER_MTLS_CACHE:-$HOME/.cache/spinnaker-mtls}"
dir="$cache_root/istioctl-$ISTIO_VERSION-$wrapper_hash"
mkdir -p "$dir/bin" "$dir/logs"
touch "$dir/status.tsv" "$dir/timings.tsv"
env_file="$dir/istio.env"



write_env() {
  {
    printf 'export E2E_ISTIOCTL=%q\n' "$dir/bin/istioctl"
    printf 'export E2E_ISTIO_ANALYZE_FILES=%q\n' "$dir/bin/analyzefiles"
    printf 'export E2E_ISTIO_VERSION=%q\n' "$ISTIO_VERSION"
    printf 'export E2E_ISTIO_MISSING=%q\n' "$1"
  } > "$env_file"
}

if [[ ! -x "$dir/bin/istioctl" || ! -x "$dir/bin/analyzefiles" ]]; then
  rm -rf "$dir/src"
  cp -r "$here" "$dir/src"
  chmod -R u+w "$dir/src"
  out=""; rc=0
  out=$(cd "$dir/src" && go mod download -json "$ISTIO_MODULE@$ISTIO_VERSION" 2>&1) || rc=$?
  if [[ $rc -ne 0 ]] || grep -q '"Error"' <<<"$out"; then
    reason="istioctl: module proxy refused $ISTIO_MODULE@$ISTIO_VERSION: $(tr '\n' ' ' <<<"$out" | cut -c1-300)"
    set_status istioctl refused "$ISTIO_VERSION" "$reason"
    set_status analyzefiles refused "$ISTIO_VERSION" "$reason"
    write_env "$reason"
    log "$reason"
    echo "$env_file"
    exit 0
  fi
  if resolve_only; then
    resolve_graph "$dir/src"
    log "resolved"
    echo "$env_file"
    exit 0
  fi
  # The values istio's release build stamps (common/scripts/report_build_info.sh,
  # read by pkg/version); buildVersion is the module version we build.
  v=istio.io/istio/pkg/version
  ldflags="-X $v.buildVersion=$ISTIO_VERSION -X $v.buildGitRevision=$ISTIO_COMMIT -X $v.buildStatus=Clean -X $v.buildTag=$ISTIO_VERSION -X $v.buildHub=unknown -X $v.buildOS=$(go env GOOS) -X $v.buildArch=$(go env GOARCH)"
  log "building istioctl and analyzefiles on $ISTIO_VERSION (log: $dir/logs/istioctl.log); this takes a while cold"
  start=$(date +%s)
  # istio's release build is CGO-free (common/scripts/gobuild.sh sets CGO_ENABLED=0).
  if ! (cd "$dir/src" && nice -n 19 go build -ldflags "$ldflags" \
        -o "$dir/src/out/" "$ISTIO_MODULE/istioctl/cmd/istioctl" ./analyzefiles) > "$dir/logs/istioctl.log" 2>&1; then
    tail -n 30 "$dir/logs/istioctl.log" >&2
    reason="istioctl: go build failed, see $dir/logs/istioctl.log"
    set_status istioctl failed "$ISTIO_VERSION" "$reason"
    set_status analyzefiles failed "$ISTIO_VERSION" "$reason"
    write_env "$reason"
    echo "$env_file"
    exit 1
  fi
  end=$(date +%s)
  mv "$dir/src/out/istioctl" "$dir/src/out/analyzefiles" "$dir/bin/"
  printf 'istioctl+analyzefiles\t%s\n' "$((end - start))" >> "$dir/timings.tsv"
  set_status istioctl built "$ISTIO_VERSION" "$ISTIO_MODULE@$ISTIO_VERSION istioctl/cmd/istioctl, CGO off"
  set_status analyzefiles built "$ISTIO_VERSION" "test/e2e/build/istio/analyzefiles on $ISTIO_MODULE@$ISTIO_VERSION, CGO off"
  log "istioctl and analyzefiles took $((end - start)) s"
fi
write_env ""
echo "$env_file"
