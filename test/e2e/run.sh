#!/usr/bin/env bash
# `npm run e2e`: builds (or reuses) the cached toolchain, then runs the
# end-to-end tests against the real Pulumi CLI and a throwaway kube-apiserver.
# Extra arguments go to mocha (e.g. a single file).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

# Files at a time (mocha --parallel): each file has its own API server and
# workspace, and they spend much of their time waiting on the CLI and the
# servers, so two at a time on two cores take about three quarters of the
# time of one at a time (bench/toolchain.md). E2E_JOBS=1 runs them one after
# another.
jobs="${E2E_JOBS:-2}"
if ! [[ "$jobs" =~ ^[1-9][0-9]?$ ]]; then
  echo "E2E_JOBS must be a whole number of files at a time, 1 to 99; got \"$jobs\"" >&2
  exit 2
fi
parallel=()
[[ "$jobs" == 1 ]] || parallel=(--parallel --jobs "$jobs")

# The real toolchain (test/e2e/build/toolchain/build.sh), then this project's stand-ins
# for the three parts the module proxy refuses (the Node.js language host, the
# tls and random providers; test/e2e/build/standins), whose env file
# sources the toolchain's first.
env_file="$(bash test/e2e/build/standins/build.sh)"
# shellcheck source=/dev/null
source "$env_file"
# Issue 13's judges, each built (or reused) into a cache folder of its own:
# cert-manager's controller and webhook, its approver-policy, and Istio's analyzers.
# shellcheck source=/dev/null
source "$(bash test/e2e/build/cert-manager/build.sh)"
# shellcheck source=/dev/null
source "$(bash test/e2e/build/approver-policy/build.sh)"
# shellcheck source=/dev/null
source "$(bash test/e2e/build/istio/build.sh)"

specs=("$@")
# The longest files first, so the two at a time finish close together.
[ ${#specs[@]} -gt 0 ] || specs=(test/e2e/prod.e2e.test.ts test/e2e/caRotation.e2e.test.ts test/e2e/caRotationCertManager.e2e.test.ts test/e2e/weakening.e2e.test.ts test/e2e/component.e2e.test.ts test/e2e/ssa.e2e.test.ts test/e2e/rotation.e2e.test.ts test/e2e/dev.e2e.test.ts test/e2e/differential.e2e.test.ts test/e2e/render.e2e.test.ts test/e2e/interrupt.e2e.test.ts test/e2e/istioAnalyze.e2e.test.ts test/e2e/certManager.e2e.test.ts test/e2e/approverPolicy.e2e.test.ts test/e2e/otterize.e2e.test.ts test/e2e/rotationStatus.e2e.test.ts test/e2e/smoke.e2e.test.ts)

# Everything the run starts or writes belongs to one folder: temporary files
# (TMPDIR, which the tests, the Pulumi CLI and its plugins use) and a registry
# of every process group the tests start (test/e2e/support/processes.ts).
# However the run ends, a trap stops those groups and removes the folder; if
# this shell is killed outright, its reaper does (test/e2e/support/reaper.sh).
run_dir="$(mktemp -d "${TMPDIR:-/tmp}/spinnaker-mtls-e2e-run.XXXXXX")"
mkdir -p "$run_dir/tmp"
: > "$run_dir/processes"
export E2E_RUN_DIR="$run_dir" E2E_PROCESS_REGISTRY="$run_dir/processes" TMPDIR="$run_dir/tmp"
# The programs run from a copy of the project per workspace, at paths that
# never recur: their transpile cache (engine/transpileCache.ts) lives and dies
# with this run, rather than piling up in ~/.cache.
export SPINNAKER_MTLS_TRANSPILE_CACHE_DIR="$run_dir/ts-transpile"
echo "[e2e] run folder: $run_dir" >&2
setsid bash test/e2e/support/reaper.sh "$$" "$run_dir" </dev/null >/dev/null 2>&1 &

# shellcheck source=test/e2e/support/processGroups.sh
source test/e2e/support/processGroups.sh
stop_everything() {
  stop_registered_groups "$run_dir/processes"
  rm -rf "$run_dir"
}
trap stop_everything EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# mocha in a session of its own (registered like the servers), so that this
# shell's trap decides how it ends; waited for in the background, so that a
# signal reaches the trap at once.
# --no-config: the unit suite's .mocharc.json spec and hooks are not the e2e's.
setsid npx mocha --no-config --require ts-node/register/transpile-only --extension ts \
  --timeout 1800000 --reporter test/support/reporter.ts "${parallel[@]}" "${specs[@]}" &
mocha_pid=$!
printf '%s\tmocha\n' "$mocha_pid" >> "$run_dir/processes"
wait "$mocha_pid"
