#!/usr/bin/env bash
# Builds this project's STAND-INS for the three e2e parts the Go module proxy
# refuses (see test/e2e/build/toolchain/build.sh, status.tsv: refused), into a cache
# folder outside the repository, and reuses it when it is already there:
#
#   ~/.cache/spinnaker-mtls/engine-standins-<key>/
#     bin/pulumi-language-nodejs       our Node.js language host (test/e2e/build/standins/nodejs-host)
#     providers/pulumi-resource-tls    our tls provider      (test/e2e/build/standins/tls-random)
#     providers/pulumi-resource-random our random provider  (test/e2e/build/standins/tls-random)
#     status.tsv, timings.tsv, logs/
#     standins.env                     sourceable: the toolchain's env, then ours
#
# The providers are installed as plugins (tls 5.6.1, random 4.21.2: the versions
# the program's SDKs request) into the toolchain's PULUMI_HOME; the host goes on
# PATH through standins.env. Every one of them says "stand-in" in its
# GetPluginInfo version, and standins.env lists them in E2E_STANDINS so tests say so.
#
# <key> hashes the wrapper modules' files (not this script) and the versions.
#
# Usage: source "$(bash test/e2e/build/standins/build.sh)"
# Everything but the env file's path goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
parts="$(cd "$here/.." && pwd)"
repo="$(cd "$here/../../../.." && pwd)"

PULUMI_VERSION=3.248.0
TLS_VERSION=5.6.1
RANDOM_VERSION=4.21.2

log() { printf '[engine-standins] %s\n' "$*" >&2; }
# shellcheck source=test/e2e/build/lib.sh
source "$parts/lib.sh"

# The real toolchain first: the CLI, PULUMI_HOME, E2E_MISSING.
toolchain_env="$(bash "$repo/test/e2e/build/toolchain/build.sh")"
# shellcheck source=/dev/null
source "$toolchain_env"

wrapper_hash="$( { echo "$PULUMI_VERSION $TLS_VERSION $RANDOM_VERSION $(build_settings)"
  cd "$here" && find nodejs-host tls-random -type f | LC_ALL=C sort | xargs sha256sum; } | sha256sum | cut -c1-12)"
cache_root="${SPINNAKER_MTLS_CACHE:-$HOME/.cache/spinnaker-mtls}"
dir="$cache_root/engine-standins-$wrapper_hash"
mkdir -p "$dir/bin" "$dir/providers" "$dir/src" "$dir/logs"
touch "$dir/status.tsv" "$dir/timings.tsv"

# A writable build copy, so that `go build -mod=mod` never writes into the repository.
copy_wrapper() { copy_to_build "$here/$1" "$1"; }

# Both modules require the Pulumi CLI wrapper's versions of every module they
# share with it (test/e2e/build/toolchain/pulumi-cli/go.mod), so with the same
# build settings they compile nothing the CLI's build did not.
if resolve_only; then
  for m in nodejs-host tls-random; do copy_wrapper "$m"; resolve_graph "$dir/src/$m"; done
  log "resolved: nodejs-host, tls-random"
  echo "$dir/standins.env"
  exit 0
fi

if [[ ! -x "$dir/bin/pulumi-language-nodejs" ]]; then
  copy_wrapper nodejs-host
  timed pulumi-language-nodejs bash -c "cd '$dir/src/nodejs-host' && go build -o '$dir/bin/pulumi-language-nodejs' ."
  set_status pulumi-language-nodejs stand-in "3.248.0-standin.spinnaker-mtls" \
    "our host (test/e2e/build/standins/nodejs-host) on github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION; runs @pulumi/pulumi's cmd/run and cmd/run-policy-pack; upstream module refused by the proxy"
fi

if [[ ! -x "$dir/providers/pulumi-resource-tls" || ! -x "$dir/providers/pulumi-resource-random" ]]; then
  copy_wrapper tls-random
  # Their own tests first (standin_test.go: the chain, replacement, the renewal window, secrets),
  # with the build's settings (lib.sh), so the packages they compile are the build's.
  timed tls-random-tests bash -c "cd '$dir/src/tls-random' && go vet ./... && go test ./..."
  timed tls-random-standins bash -c "cd '$dir/src/tls-random' && go build -o '$dir/providers/' ./cmd/pulumi-resource-tls ./cmd/pulumi-resource-random"
  set_status pulumi-resource-tls stand-in "$TLS_VERSION-standin.spinnaker-mtls" \
    "our provider (test/e2e/build/standins/tls-random): PrivateKey, CertRequest, SelfSignedCert, LocallySignedCert only, Go crypto/x509; upstream refused by the proxy"
  set_status pulumi-resource-random stand-in "$RANDOM_VERSION-standin.spinnaker-mtls" \
    "our provider (test/e2e/build/standins/tls-random): RandomPassword only; upstream refused by the proxy"
fi

# install NAME VERSION: into the toolchain's PULUMI_HOME, replacing an install
# of another build (another stand-in hash) of the same slot.
install_plugin() {
  local name="$1" version="$2" bin="$dir/providers/pulumi-resource-$1"
  local slot="$PULUMI_HOME/plugins/resource-$name-v$version"
  if [[ -f "$slot/pulumi-resource-$name" ]] && cmp -s "$slot/pulumi-resource-$name" "$bin"; then return 0; fi
  rm -rf "$slot" "$slot.lock"
  pulumi plugin install resource "$name" "$version" --file "$bin" >&2
}
install_plugin tls "$TLS_VERSION"
install_plugin random "$RANDOM_VERSION"

# The parts this folder stands in for no longer count as missing; they are
# listed in E2E_STANDINS instead, so that tests can say what they ran on.
standins="pulumi-language-nodejs pulumi-resource-tls pulumi-resource-random"
missing=""
for m in $E2E_MISSING; do
  [[ " $standins " == *" $m "* ]] || missing="${missing:+$missing }$m"
done
cat > "$dir/standins.env" <<EOF
# Written by test/e2e/build/standins/build.sh; source it.
# shellcheck source=/dev/null
source '$toolchain_env'
export E2E_STANDINS_DIR='$dir'
export PATH='$dir/bin':"\$PATH"
# Parts that are this project's stand-ins, not upstream builds (see $dir/status.tsv).
export E2E_STANDINS='$standins'
export E2E_MISSING='$missing'
EOF
log "ready: $dir"
column -t -s $'\t' "$dir/status.tsv" >&2 || cat "$dir/status.tsv" >&2
echo "$dir/standins.env"
