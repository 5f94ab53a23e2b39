#!/usr/bin/env bash
# Builds the end-to-end toolchain (issue 12) from Go modules, into a cache
# folder outside the repository, and reuses it when it is already there:
#
#   ~/.cache/spinnaker-mtls/toolchain-<key>/
#     bin/          pulumi, pulumi-language-yaml, kube-apiserver,
#                   kube-controller-manager, kine (toolchain.env puts it on PATH)
#     providers/    pulumi-resource-kubernetes as built; off PATH, because the
#                   CLI prefers a provider on PATH to the installed plugin
#     pulumi-home/  PULUMI_HOME with the providers installed as plugins
#     status.tsv    one row per part: name, state (built/refused), label, detail
#     timings.tsv   seconds each part took to build (cold runs only)
#     toolchain.env sourceable: PATH, PULUMI_HOME, E2E_* variables
#
# <key> is the pinned versions plus a hash of them and of the wrapper modules
# beside this script, so a change to either builds a fresh folder.
#
# Usage: bash test/e2e/build/toolchain/build.sh            # build or reuse, print env file path
#        source "$(bash test/e2e/build/toolchain/build.sh)" # the same, then use the tools
# Everything the script prints besides the env file's path goes to stderr.
#
# Nothing here downloads anything but Go modules through the module proxy.
# Parts the proxy refuses are recorded as refused (status.tsv, E2E_MISSING) and
# the rest is still built, so that tests can skip with the exact reason.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

PULUMI_VERSION=3.248.0
K8S_VERSION=1.37.2          # staging modules at v0.37.2; needs go 1.26.0
KINE_VERSION=0.17.5         # built against k8s.io/apiserver v0.37.0, needs go 1.26.5
# The proxy serves no tagged pulumi-kubernetes provider module; this is the only
# version it serves (commit f47bc2d6f199, 2026-01-15, after sdk/v4 v4.24.0).
K8S_PROVIDER_WANTED=4.34.2
K8S_PROVIDER_MODULE_VERSION=v4.0.0-20260115033456-f47bc2d6f199
K8S_PROVIDER_LABEL=4.0.0-20260115033456-f47bc2d6f199
TLS_VERSION=5.6.1
RANDOM_VERSION=4.21.2
# The smoke test's language host (the Node.js one is refused, see below).
YAML_VERSION=1.25.0

log() { printf '[toolchain] %s\n' "$*" >&2; }
# shellcheck source=test/e2e/build/lib.sh
source "$here/../lib.sh"

# The key: every pinned version plus the wrapper modules' files (the scripts
# beside them are left out, so that editing a script does not rebuild).
wrapper_hash="$( { echo "$PULUMI_VERSION $K8S_VERSION $KINE_VERSION $K8S_PROVIDER_MODULE_VERSION $K8S_PROVIDER_LABEL $YAML_VERSION $(build_settings)"
  cd "$here" && find . -mindepth 2 -type f | LC_ALL=C sort | xargs sha256sum; } | sha256sum | cut -c1-12)"
key="pulumi${PULUMI_VERSION}-k8s${K8S_VERSION}-kine${KINE_VERSION}-${wrapper_hash}"
cache_root="${SPINNAKER_MTLS_CACHE:-$HOME/.cache/spinnaker-mtls}"
dir="$cache_root/toolchain-$key"
mkdir -p "$dir/bin" "$dir/providers" "$dir/src" "$dir/logs" "$dir/pulumi-home"
touch "$dir/status.tsv" "$dir/timings.tsv"

export PULUMI_HOME="$dir/pulumi-home"
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_SKIP_UPDATE_CHECK=true

state_of() { awk -F'\t' -v n="$1" '$1 == n { s = $2 } END { print s }' "$dir/status.tsv"; }


# copy_wrapper NAME: a writable build copy of test/e2e/build/toolchain/NAME.
copy_wrapper() { copy_to_build "$here/$1" "$1"; }

# module_refused MODULE@VERSION: true (and the proxy's words in $refusal) when
# the module proxy will not serve that exact version.
module_refused() {
  local out rc=0
  out=$(cd "$dir/src" && GOFLAGS=-mod=mod go mod download -json "$1" 2>&1) || rc=$?
  if grep -q '"Error"' <<<"$out"; then
    refusal=$(sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p' <<<"$out" | head -n1 | sed 's/\\n\\t/ /g')
    return 0
  fi
  if [[ $rc -ne 0 ]]; then refusal=$(tr '\n' ' ' <<<"$out"); return 0; fi
  return 1
}

k8s_ldflags() {
  local v=k8s.io/component-base/version
  # The values the release build stamps (hack/lib/version.sh); without them the
  # server reports v0.0.0-master and the provider reads the cluster as v0.0.
  echo "-X $v.gitVersion=v$K8S_VERSION -X $v.gitMajor=${K8S_VERSION%%.*} -X $v.gitMinor=$(cut -d. -f2 <<<"$K8S_VERSION") -X $v.gitTreeState=clean -X $v.gitCommit=0000000000000000000000000000000000000000 -X $v.buildDate=1970-01-01T00:00:00Z"
}

build_kube() {
  [[ -x "$dir/bin/kube-apiserver" && -x "$dir/bin/kube-controller-manager" ]] && return 0
  copy_wrapper kube-apiserver
  if resolve_only; then resolve_graph "$dir/src/kube-apiserver"; return 0; fi
  timed kube-apiserver bash -c "cd '$dir/src/kube-apiserver' && go build -ldflags '$(k8s_ldflags)' -o '$dir/src/kube-apiserver/out/' k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager"
  mv "$dir/src/kube-apiserver/out/kube-apiserver" "$dir/src/kube-apiserver/out/kube-controller-manager" "$dir/bin/"
  set_status kube-apiserver built "v$K8S_VERSION" "k8s.io/kubernetes@v$K8S_VERSION, staging modules v0.${K8S_VERSION#1.}"
  set_status kube-controller-manager built "v$K8S_VERSION" "same build as kube-apiserver"
}

build_kine() {
  [[ -x "$dir/bin/kine" ]] && return 0
  # kine has no replace directives, so `go install module@version` builds it as
  # its own go.mod pins it. CGO off selects its pure-Go SQLite (modernc.org).
  # Its endpoint package registers every storage driver (NATS, MySQL, Postgres)
  # in one init file, so they compile too; leaving them out would take a copy of
  # that package, which this project does not keep.
  if resolve_only; then resolve_module_graph "github.com/k3s-io/kine@v$KINE_VERSION"; return 0; fi
  timed kine env GOFLAGS=-trimpath GOBIN="$dir/bin" go install \
    -ldflags "-X github.com/k3s-io/kine/pkg/version.Version=v$KINE_VERSION" "github.com/k3s-io/kine@v$KINE_VERSION"
  set_status kine built "v$KINE_VERSION" "github.com/k3s-io/kine@v$KINE_VERSION, SQLite via modernc.org/sqlite (no cgo)"
}

build_cli() {
  [[ -x "$dir/bin/pulumi" ]] && return 0
  copy_wrapper pulumi-cli
  if resolve_only; then resolve_graph "$dir/src/pulumi-cli"; return 0; fi
  # The release build stamps the version into sdk/v3's version package
  # (pulumi's Makefile and .goreleaser.yml: -X .../sdk/v3/go/common/version.Version).
  timed pulumi-cli bash -c "cd '$dir/src/pulumi-cli' && go build -ldflags '-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION' -o '$dir/src/pulumi-cli/out/pulumi' github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
  mv "$dir/src/pulumi-cli/out/pulumi" "$dir/bin/"
  set_status pulumi built "v$PULUMI_VERSION" "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION"
}

check_language_nodejs() {
  [[ -x "$dir/bin/pulumi-language-nodejs" || "$(state_of pulumi-language-nodejs)" == refused ]] && return 0
  # The language host module has no tags; the issue asks for the pseudo-version
  # of the v3.248.0 release commit. The proxy here refuses every query for that
  # module path (its version list, @v3.248.0, branch and commit queries), so the
  # pseudo-version can be neither listed nor resolved.
  local m=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
  if module_refused "$m@v$PULUMI_VERSION" && module_refused "$m@latest"; then
    set_status pulumi-language-nodejs refused "-" "proxy: $refusal"
    log "pulumi-language-nodejs: refused by the module proxy"
  fi
}

build_k8s_provider() {
  [[ -x "$dir/providers/pulumi-resource-kubernetes" ]] && return 0
  local m=github.com/pulumi/pulumi-kubernetes/provider/v4
  local detail="wanted $K8S_PROVIDER_WANTED"
  if module_refused "$m@v$K8S_PROVIDER_WANTED"; then detail="$detail (proxy: $refusal)"; fi
  copy_wrapper pulumi-kubernetes
  # The committed schema and mapping, embedded by our main.go; only the build
  # copy gets them, the repository never does.
  local mdir
  mdir=$(cd "$dir/src/pulumi-kubernetes" && module_dir "$m@$K8S_PROVIDER_MODULE_VERSION")
  cp "$mdir/cmd/pulumi-resource-kubernetes/schema.json" "$mdir/cmd/pulumi-resource-kubernetes/terraform-mapping.json" "$dir/src/pulumi-kubernetes/"
  chmod u+w "$dir/src/pulumi-kubernetes/"*.json
  if resolve_only; then resolve_graph "$dir/src/pulumi-kubernetes"; return 0; fi
  timed pulumi-resource-kubernetes bash -c "cd '$dir/src/pulumi-kubernetes' && go build -ldflags '-X $m/pkg/version.Version=$K8S_PROVIDER_LABEL' -o '$dir/src/pulumi-kubernetes/out/pulumi-resource-kubernetes' ."
  mv "$dir/src/pulumi-kubernetes/out/pulumi-resource-kubernetes" "$dir/providers/"
  set_status pulumi-resource-kubernetes built "$K8S_PROVIDER_LABEL" "$m@$K8S_PROVIDER_MODULE_VERSION; $detail"
}

build_language_yaml() {
  [[ -x "$dir/bin/pulumi-language-yaml" ]] && return 0
  # The smoke test's language host. pulumi-yaml has no replace directives, so
  # `go install module@version` builds it with its own pinned pkg/sdk (v3.206.0);
  # built against pkg v3.248.0 instead it does not compile (plugin API changes).
  # Language hosts talk to the CLI over gRPC, which is compatible across these.
  if resolve_only; then resolve_module_graph "github.com/pulumi/pulumi-yaml@v$YAML_VERSION"; return 0; fi
  timed pulumi-language-yaml env GOFLAGS=-trimpath GOBIN="$dir/bin" go install \
    -ldflags "-X github.com/pulumi/pulumi-yaml/pkg/version.Version=v$YAML_VERSION" "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml@v$YAML_VERSION"
  set_status pulumi-language-yaml built "v$YAML_VERSION" "github.com/pulumi/pulumi-yaml@v$YAML_VERSION (smoke test's runtime)"
}

check_bridged_provider() { # NAME MAJOR VERSION
  local name="$1" major="$2" version="$3"
  [[ "$(state_of "pulumi-resource-$name")" == refused ]] && return 0
  local m="github.com/pulumi/pulumi-$name/provider/v$major"
  # The proxy refuses this module path outright (no version list, no version),
  # so there is no nearest version to take either.
  if module_refused "$m@v$version" && module_refused "$m@latest"; then
    set_status "pulumi-resource-$name" refused "-" "$m@v$version and @latest: proxy: $refusal"
    log "pulumi-resource-$name: refused by the module proxy"
  fi
}

install_plugins() {
  resolve_only && return 0
  # The kubernetes binary goes into the plugin slot the Node SDK asks for
  # (@pulumi/kubernetes 4.34.2 requests 4.34.2); the binary itself reports its
  # real provenance (K8S_PROVIDER_LABEL) through GetPluginInfo.
  if [[ -x "$dir/providers/pulumi-resource-kubernetes" && ! -d "$PULUMI_HOME/plugins/resource-kubernetes-v$K8S_PROVIDER_WANTED" ]]; then
    "$dir/bin/pulumi" plugin install resource kubernetes "$K8S_PROVIDER_WANTED" --file "$dir/providers/pulumi-resource-kubernetes" >&2
  fi
}

write_env() {
  local missing
  missing=$(awk -F'\t' '$2 == "refused" { printf "%s%s", sep, $1; sep = " " }' "$dir/status.tsv")
  cat > "$dir/toolchain.env" <<EOF
# Written by test/e2e/build/toolchain/build.sh; source it.
export E2E_TOOLCHAIN_DIR='$dir'
export PATH='$dir/bin':"\$PATH"
export PULUMI_HOME='$dir/pulumi-home'
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_K8S_PROVIDER_LABEL='$K8S_PROVIDER_LABEL'
export E2E_K8S_VERSION='v$K8S_VERSION'
# Parts the module proxy refused (see status.tsv): tests that need them skip.
export E2E_MISSING='$missing'
EOF
}

total_start=$(date +%s)
# Early wins first: the API server and its storage, then the CLI.
build_kube
build_kine
build_cli
check_language_nodejs
build_k8s_provider
build_language_yaml
check_bridged_provider tls 5 "$TLS_VERSION"
check_bridged_provider random 4 "$RANDOM_VERSION"
install_plugins
write_env
log "ready in $(( $(date +%s) - total_start )) s: $dir"
column -t -s $'\t' "$dir/status.tsv" >&2 || cat "$dir/status.tsv" >&2
echo "$dir/toolchain.env"
