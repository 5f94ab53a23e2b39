# Shared by the e2e build scripts (toolchain/, standins/, cert-manager/ and
# istio/ beside this file); source it after setting $dir, the part's cache
# folder, and defining log().

# One set of build settings for every Go build of the e2e, so that packages
# two parts share compile once (the Go build cache keys on the flags): CGO
# off, since nothing the e2e runs needs cgo (kine takes its pure-Go SQLite,
# Istio's own build scripts are CGO-free), -trimpath, each part's module
# graph from its own go.mod (-mod=mod, in a build copy), and no VCS stamp,
# so a binary depends on its inputs alone.
export CGO_ENABLED=0
export GOFLAGS="-mod=mod -trimpath -buildvcs=false"

# E2E_BUILD_RESOLVE_ONLY=1 (test/e2e/build/check-cold.sh): every step
# resolves its module graph and downloads the module files it reads, and
# compiles nothing. Run under an empty GOMODCACHE, it proves the build steps
# work on a fresh machine, in a minute rather than an hour.
resolve_only() { [[ "${E2E_BUILD_RESOLVE_ONLY:-}" == 1 ]]; }

# resolve_graph DIR: the module graph of the Go module in DIR, as a build
# would resolve it (go.mod files only, no source, no compile).
resolve_graph() {
  (cd "$1" && go list -m all > /dev/null)
}

# resolve_module_graph MODULE@VERSION: the same for a module `go install
# MODULE@VERSION` builds as its own go.mod pins it.
resolve_module_graph() {
  local mdir
  mdir=$(module_dir "$1")
  (cd "$mdir" && GOFLAGS=-mod=readonly go list -m all > /dev/null)
}

# build_settings: what, besides its inputs, decides a build's output; part of
# every cache folder's key, so that a change of settings builds afresh.
build_settings() { echo "$(go env GOVERSION) CGO_ENABLED=$CGO_ENABLED GOFLAGS=$GOFLAGS"; }

# set_status NAME STATE LABEL DETAIL: one row per part in $dir/status.tsv, the last one wins.
set_status() {
  local tmp="$dir/status.tsv.tmp"
  grep -v -P "^\Q$1\E\t" "$dir/status.tsv" > "$tmp" || true
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$tmp"
  mv "$tmp" "$dir/status.tsv"
}

# timed NAME COMMAND...: runs a build step, its output in $dir/logs/NAME.log,
# and appends the wall seconds to $dir/timings.tsv. Niced: CI builds the
# e2e parts in the background while the other suites run (.ci/run), and
# those suites come first; alone on the machine, nice costs nothing.
timed() {
  local name="$1"; shift
  local start end
  start=$(date +%s)
  log "building $name (log: $dir/logs/$name.log)"
  if ! nice -n 19 "$@" > "$dir/logs/$name.log" 2>&1; then
    log "FAILED: $name; last lines of its log:"
    tail -n 30 "$dir/logs/$name.log" >&2
    return 1
  fi
  end=$(date +%s)
  printf '%s\t%s\n' "$name" "$((end - start))" >> "$dir/timings.tsv"
  log "$name took $((end - start)) s"
}

# module_dir MODULE@VERSION: downloads that module through the module proxy
# (a no-op when the module cache already holds it) and prints the folder
# holding its files. A bare `go list -m` answers nothing on an empty module
# cache, which is why this asks `go mod download -json`, whose Dir is only
# set once the files are there. Fails, naming the module, when there is none.
module_dir() {
  local out mdir err
  out=$(GOFLAGS=-mod=mod go mod download -json "$1" 2>&1) || true
  mdir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$out" | head -n1)
  if [[ -z "$mdir" || ! -d "$mdir" ]]; then
    err=$(sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p' <<<"$out" | head -n1)
    printf 'module_dir: no files for %s from the module proxy (%s)\n' "$1" "${err:-$(tr '\n' ' ' <<<"$out" | cut -c1-300)}" >&2
    return 1
  fi
  printf '%s\n' "$mdir"
}

# copy_to_build SOURCE NAME: a writable build copy of SOURCE in $dir/src/NAME,
# so that builds (-mod=mod may edit go.mod and go.sum) never write into the
# repository.
copy_to_build() {
  rm -rf "$dir/src/$2"
  mkdir -p "$dir/src"
  cp -r "$1" "$dir/src/$2"
  chmod -R u+w "$dir/src/$2"
}
