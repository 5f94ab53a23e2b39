#!/usr/bin/env bash
# Builds (or reuses) every part `npm run e2e` runs on, each into its cache
# folder: the toolchain (the Pulumi CLI, the Kubernetes provider, the YAML
# language host, kube-apiserver, kube-controller-manager, kine), this
# project's stand-ins, cert-manager's controller and webhook, cert-manager's
# approver-policy, and Istio's
# analyzers. test/e2e/run.sh sources what each build prints; .ci/run starts
# this in the background while the other suites run.
#
# With E2E_BUILD_RESOLVE_ONLY=1 every part resolves and downloads what it
# needs and compiles nothing (check-cold.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
start=$(date +%s)
bash "$here/standins/build.sh" > /dev/null   # builds the toolchain first
bash "$here/cert-manager/build.sh" > /dev/null
bash "$here/approver-policy/build.sh" > /dev/null
bash "$here/istio/build.sh" > /dev/null
printf '[e2e-build] every part ready in %s s\n' "$(( $(date +%s) - start ))" >&2
