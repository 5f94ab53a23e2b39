import { StackValidationPolicy } from "@pulumi/policy";
import { KubeObject, asArray, at, isKind, namespaceOf } from "../lib/kube";
import { ISTIO_NETWORKING, kubeObjects } from "../lib/mesh";
import { violation } from "../lib/rule";
import { spinnakerOrRedis } from "../lib/workloads";

/** Suffixes after `<namespace>` that still name an in-cluster Service (`.svc`, `.svc.cluster.local`, another cluster domain). */
const IN_CLUSTER = /^svc(\.[a-z0-9-]+)*$/;
/** Wildcards that span every namespace: `*`, `*.svc`, `*.cluster.local`, `*.svc.cluster.local`, `*.local`. */
const EVERY_NAMESPACE = /^\*(\.svc)?(\.cluster)?(\.local)?$|^\*\.svc(\.[a-z0-9-]+)+$/;

/**
 * The namespaces whose Services a DestinationRule host can match, as Istio
 * resolves it: a short name in the rule's own namespace, `name.ns`,
 * `name.ns.svc[.<domain>]`, `*.ns.svc[.<domain>]`, and wildcards spanning every
 * namespace ("*" for all). Hosts outside the cluster match none.
 */
export function hostNamespaces(host: string, own: string): string[] | "*" {
    if (EVERY_NAMESPACE.test(host)) return "*";
    const parts = host.split(".");
    if (parts.length === 1) return [own];
    const [, ns, ...rest] = parts;
    if (rest.length === 0) return [ns];
    return IN_CLUSTER.test(rest.join(".")) ? [ns] : [];
}

/** Every TLS setting of a DestinationRule: top level, per port, per subset and per subset port. */
function tlsSettings(o: KubeObject): [string, unknown][] {
    const fromPolicy = (policy: unknown, path: string): [string, unknown][] => [
        [`${path}.tls`, at(policy, "tls")],
        ...asArray(at(policy, "portLevelSettings")).map((p, i): [string, unknown] => [`${path}.portLevelSettings[${i}].tls`, at(p, "tls")]),
    ];
    return [
        ...fromPolicy(at(o.body, "spec", "trafficPolicy"), "spec.trafficPolicy"),
        ...asArray(at(o.body, "spec", "subsets")).flatMap((s, i) => fromPolicy(at(s, "trafficPolicy"), `spec.subsets[${i}].trafficPolicy`)),
    ];
}

const REMEDY = "use ISTIO_MUTUAL (or remove the tls block: the mesh default is ISTIO_MUTUAL)";

export const destinationRuleMutual: StackValidationPolicy = {
    name: "destination-rule-istio-mutual",
    description:
        "A DestinationRule whose host matches a Service in a namespace running Spinnaker or Redis (short, namespaced, FQDN or wildcard) must leave TLS to the mesh (ISTIO_MUTUAL) at every level: SIMPLE sends no workload identity, MUTUAL replaces the mesh's certificate, and insecureSkipVerify accepts any server.",
    severity: "critical",
    validateStack: (args, report) => {
        const objects = kubeObjects(args.resources);
        const protectedNamespaces = new Set(objects.filter((o) => spinnakerOrRedis(o) !== undefined).map(namespaceOf));
        if (protectedNamespaces.size === 0) args.notApplicable("the stack runs no Spinnaker or Redis");
        for (const o of objects.filter((x) => isKind(x, ISTIO_NETWORKING, "DestinationRule"))) {
            const host = at(o.body, "spec", "host");
            if (typeof host !== "string") continue;
            const matched = hostNamespaces(host, namespaceOf(o));
            const hits = matched === "*" ? [...protectedNamespaces].sort() : matched.filter((ns) => protectedNamespaces.has(ns));
            if (hits.length === 0) continue;
            const whose = `host '${host}' matches Spinnaker's or Redis's Services in namespace ${hits.join(", ")}`;
            for (const [path, tls] of tlsSettings(o)) {
                const mode = at(tls, "mode");
                // DISABLE is destination-rule-no-disable's, for every host.
                if (typeof mode === "string" && mode !== "ISTIO_MUTUAL" && mode !== "DISABLE") {
                    const why = mode === "SIMPLE" ? "the sidecar originates TLS without a client certificate, so the server sees no workload identity" : "the sidecar presents its own certificate instead of the mesh's workload identity";
                    report(violation(o, `${path}.mode`, `is '${mode}' and ${whose}: ${why}`, REMEDY), o.urn);
                }
                if (at(tls, "insecureSkipVerify") === true) report(violation(o, `${path}.insecureSkipVerify`, `is true and ${whose}: the caller accepts any server certificate`, "remove insecureSkipVerify"), o.urn);
            }
        }
    },
};
