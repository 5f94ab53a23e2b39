// The end-to-end tests' cluster has no kubelet: no pod ever runs, so the
// Kubernetes provider would wait forever on workloads and on Services'
// endpoints. A stack transformation marks those objects pulumi.com/skipAwait,
// only when the e2e stack's config asks for it (e2eSkipAwait).
import * as pulumi from "@pulumi/pulumi";

export const SKIP_AWAIT_ANNOTATION = "pulumi.com/skipAwait";

/** The resource types whose readiness depends on pods. */
export const AWAITS_PODS: readonly string[] = ["kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:Deployment", "kubernetes:core/v1:Service"];

/** Adds the skipAwait annotation to objects whose readiness depends on pods; leaves every other resource alone. */
export const skipAwaitTransformation: pulumi.ResourceTransformation = (args) => {
    if (!AWAITS_PODS.includes(args.type)) return undefined;
    const metadata = pulumi.output(args.props.metadata ?? {}).apply((m: { annotations?: Record<string, string> }) => ({ ...m, annotations: { ...(m.annotations ?? {}), [SKIP_AWAIT_ANNOTATION]: "true" } }));
    return { props: { ...args.props, metadata }, opts: args.opts };
};
