# Shared by the e2e build scripts (test/e2e/build/toolchain/build.sh and the parts
# beside this file); source it after setting $dir, the part's cache folder,
# and defining log().

# set_status NAME STATE LABEL DETAIL: one row per part in $dir/status.tsv, the last one wins.
set_status() {
  local tmp="$dir/status.tsv.tmp"
  grep -v -P "^\Q$1\E\t" "$dir/status.tsv" > "$tmp" || true
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$tmp"
  mv "$tmp" "$dir/status.tsv"
}

# timed NAME COMMAND...: runs a build step niced, its output in $dir/logs/NAME.log,
# and appends the wall seconds to $dir/timings.tsv.
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
