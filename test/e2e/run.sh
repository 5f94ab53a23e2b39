#!/usr/bin/env bash
# `npm run e2e`: builds (or reuses) the cached toolchain, then runs the
# end-to-end tests against the real Pulumi CLI and a throwaway kube-apiserver.
# Extra arguments go to mocha (e.g. a single file).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

# The real toolchain (test/e2e/build/toolchain/build.sh), then this project's stand-ins
# for the three parts the module proxy refuses (the Node.js language host, the
# tls and random providers; test/e2e/build/standins), whose env file
# sources the toolchain's first.
env_file="$(bash test/e2e/build/standins/build.sh)"
# shellcheck source=/dev/null
source "$env_file"
# Issue 13's judges, each built (or reused) into a cache folder of its own:
# cert-manager's controller and webhook, and Istio's analyzers.
# shellcheck source=/dev/null
source "$(bash test/e2e/build/cert-manager/build.sh)"
# shellcheck source=/dev/null
source "$(bash test/e2e/build/istio/build.sh)"

specs=("$@")
[ ${#specs[@]} -gt 0 ] || specs=(test/e2e/smoke.e2e.test.ts test/e2e/certManager.e2e.test.ts test/e2e/otterize.e2e.test.ts test/e2e/istioAnalyze.e2e.test.ts test/e2e/dev.e2e.test.ts test/e2e/prod.e2e.test.ts test/e2e/differential.e2e.test.ts test/e2e/render.e2e.test.ts test/e2e/ssa.e2e.test.ts test/e2e/weakening.e2e.test.ts test/e2e/rotation.e2e.test.ts)
# --no-config: the unit suite's .mocharc.json spec and hooks are not the e2e's.
exec npx mocha --no-config --require ts-node/register/transpile-only --extension ts \
  --timeout 1800000 --reporter test/support/reporter.ts "${specs[@]}"
