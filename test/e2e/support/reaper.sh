#!/usr/bin/env bash
# The e2e run's reaper (started by test/e2e/run.sh in a session of its own):
# once the run's shell is gone, however it went (SIGKILL included, which no
# trap sees), it stops every process group in the run's registry, SIGTERM and
# then SIGKILL, and removes the run's folder. A run that ends normally removes
# the folder itself, and the reaper then just exits.
#
# Usage: reaper.sh <pid of run.sh> <run folder>
set -u
watched="$1" run_dir="$2"
registry="$run_dir/processes"

# A group is alive while a member is not a zombie: a killed process whose parent
# is gone waits as a zombie until init reaps it, and kill -0 still finds it.
group_alive() {
  local f line rest state pgrp
  for f in /proc/[0-9]*/stat; do
    { read -r line < "$f"; } 2>/dev/null || continue
    rest="${line##*) }"
    read -r state _ pgrp _ <<< "$rest"
    [[ "$pgrp" == "$1" && "$state" != "Z" ]] && return 0
  done
  return 1
}

stop_all() {
  local pgid name
  [[ -f "$registry" ]] || return 0
  while IFS=$'\t' read -r pgid name; do
    kill -TERM -- "-$pgid" 2>/dev/null || true
  done < "$registry"
  for _ in $(seq 1 20); do
    local alive=0
    while IFS=$'\t' read -r pgid name; do
      group_alive "$pgid" && alive=1
    done < "$registry"
    [[ $alive -eq 0 ]] && return 0
    sleep 0.5
  done
  while IFS=$'\t' read -r pgid name; do
    kill -KILL -- "-$pgid" 2>/dev/null || true
  done < "$registry"
}

while kill -0 "$watched" 2>/dev/null && [[ -d "$run_dir" ]]; do sleep 1; done
[[ -d "$run_dir" ]] || exit 0
stop_all
rm -rf "$run_dir"
