# Sourced by test/e2e/run.sh and its reaper (test/e2e/support/reaper.sh): how
# both stop the process groups in a run's registry (one "<pgid>\t<name>" line
# per group the tests started: test/e2e/support/processes.ts).

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

# SIGTERM to every group in registry $1, up to 10 s for them to go, then SIGKILL to what is left.
stop_registered_groups() {
  local registry="$1" pgid name
  [[ -f "$registry" ]] || return 0
  while IFS=$'\t' read -r pgid name; do kill -TERM -- "-$pgid" 2>/dev/null || true; done < "$registry"
  for _ in $(seq 1 20); do
    local alive=0
    while IFS=$'\t' read -r pgid name; do group_alive "$pgid" && alive=1; done < "$registry"
    [[ $alive -eq 0 ]] && return 0
    sleep 0.5
  done
  while IFS=$'\t' read -r pgid name; do kill -KILL -- "-$pgid" 2>/dev/null || true; done < "$registry"
}
