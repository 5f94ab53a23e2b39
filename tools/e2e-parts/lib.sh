# Shared by the e2e build scripts (tools/toolchain/build.sh and the parts
# beside this file); source it after setting $dir, the part's cache folder.

# set_status NAME STATE LABEL DETAIL: one row per part in $dir/status.tsv, the last one wins.
set_status() {
  local tmp="$dir/status.tsv.tmp"
  grep -v -P "^\Q$1\E\t" "$dir/status.tsv" > "$tmp" || true
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$tmp"
  mv "$tmp" "$dir/status.tsv"
}
