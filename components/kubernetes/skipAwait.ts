// The end-to-end tests' cluster has no kubelet: no pod ever runs, so the
// Kubernetes provider would wait forever on workloads and on Services'
// endpoints. A transformation marks those objects pulumi.com/skipAwait, only
// when the e2e harness sets SPINNAKER_MTLS_E2E_NO_KUBELET in the environment
// it runs the CLI in. It is no config key: nothing a user configures can turn
// it on, and SpinnakerMtls warns whenever it is on.
import * as pulumi from "@pulumi/pulumi";

/** The e2e harness's environment switch (test/e2e/support/pulumiCli.ts sets it). */
export const NO_KUBELET_ENV = "SPINNAKER_MTLS_E2E_NO_KUBELET";

/** True when this run is the end-to-end tests' run against their kubelet-less cluster. */
export const e2eNoKubelet = (env: NodeJS.ProcessEnv = process.env): boolean => env[NO_KUBELET_ENV] === "1";

export const SKIP_AWAIT_ANNOTATION = "pulumi.com/skipAwait";

/** The resource types whose readiness depends on pods. */
export const AWAITS_PODS: readonly string[] = ["kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:Deployment", "kubernetes:core/v1:Service"];

/** Adds the skipAwait annotation to objects whose readiness depends on pods; leaves every other resource alone. */
export const skipAwaitTransformation: pulumi.ResourceTransformation = (args) => {
    if (!AWAITS_PODS.includes(args.type)) return undefined;
    const metadata = pulumi.output(args.props.metadata ?? {}).apply((m: { annotations?: Record<string, string> }) => ({ ...m, annotations: { ...(m.annotations ?? {}), [SKIP_AWAIT_ANNOTATION]: "true" } }));
    return { props: { ...args.props, metadata }, opts: args.opts };
};
