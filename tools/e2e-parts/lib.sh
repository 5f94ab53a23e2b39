# Shared by the e2e build scripts (tools/toolchain/build.sh and the parts
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
