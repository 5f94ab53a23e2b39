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

# shellcheck source=test/e2e/support/processGroups.sh
source "$(dirname "${BASH_SOURCE[0]}")/processGroups.sh"

while kill -0 "$watched" 2>/dev/null && [[ -d "$run_dir" ]]; do sleep 1; done
[[ -d "$run_dir" ]] || exit 0
stop_registered_groups "$registry"
rm -rf "$run_dir"
