#!/usr/bin/env bash
# Builds cert-manager's approver-policy controller for the end-to-end tests
# (issue 20: a CertificateRequestPolicy denies what it does not allow) from
# upstream's own command, github.com/cert-manager/approver-policy/cmd, pinned
# by this folder's go.mod, into a cache folder outside the repository, and
# reuses it when it is already there:
#
#   ~/.cache/spinnaker-mtls/approver-policy-<version>-<hash>/
#     bin/approver-policy      upstream's binary
#     timings.tsv              seconds the build took (cold runs only)
#     approver-policy.env      sourceable: E2E_APPROVER_POLICY_*
#
# <hash> covers go.mod, go.sum and tools.go (not this script).
# Usage: bash test/e2e/build/approver-policy/build.sh   # prints the env file's path
# Everything else goes to stderr. Only Go modules are downloaded, through the
# module proxy.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
APPROVER_POLICY_VERSION=v0.28.0
log() { printf '[approver-policy] %s\n' "$*" >&2; }
# shellcheck source=test/e2e/build/lib.sh
source "$here/../lib.sh"

hash="$(cd "$here" && { echo "$APPROVER_POLICY_VERSION $(build_settings)"; LC_ALL=C ls go.mod go.sum tools.go | xargs sha256sum; } | sha256sum | cut -c1-12)"
dir="${SPINNAKER_MTLS_CACHE:-$HOME/.cache/spinnaker-mtls}/approver-policy-$APPROVER_POLICY_VERSION-$hash"
bin="$dir/bin/approver-policy"
mkdir -p "$dir/bin" "$dir/logs"
touch "$dir/timings.tsv"

if resolve_only; then
  (cd "$here" && GOFLAGS=-mod=readonly go list -m all > /dev/null)
  # The CRD the e2e applies comes from the module itself (deploy/crds).
  (cd "$here" && GOFLAGS=-mod=readonly go mod download "github.com/cert-manager/approver-policy@$APPROVER_POLICY_VERSION")
  log "resolved"
  echo "$dir/approver-policy.env"
  exit 0
fi

if [[ ! -x "$bin" ]]; then
  start=$(date +%s)
  log "building approver-policy from github.com/cert-manager/approver-policy@$APPROVER_POLICY_VERSION (log: $dir/logs/build.log)"
  tmp="$(mktemp "$dir/bin/approver-policy.XXXXXX")"
  trap 'rm -f "$tmp"' EXIT
  # -mod=readonly: go.sum is the whole truth; a build never edits the repository.
  if ! (cd "$here" && GOFLAGS="-mod=readonly -trimpath -buildvcs=false" nice -n 19 go build \
        -o "$tmp" github.com/cert-manager/approver-policy/cmd) > "$dir/logs/build.log" 2>&1; then
    log "FAILED; last lines of the log:"
    tail -n 30 "$dir/logs/build.log" >&2
    exit 1
  fi
  mv "$tmp" "$bin"
  trap - EXIT
  took=$(( $(date +%s) - start ))
  printf 'approver-policy\t%s\n' "$took" >> "$dir/timings.tsv"
  log "built in $took s"
fi

cat > "$dir/approver-policy.env" <<ENV
# Written by test/e2e/build/approver-policy/build.sh; source it.
export E2E_APPROVER_POLICY_DIR='$dir'
export E2E_APPROVER_POLICY_BIN='$bin'
export E2E_APPROVER_POLICY_VERSION='$APPROVER_POLICY_VERSION'
ENV
echo "$dir/approver-policy.env"
