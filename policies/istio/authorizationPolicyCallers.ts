import { StackValidationPolicy } from "@pulumi/policy";
import { asArray, asRecord, at, isKind, namespaceOf } from "../lib/kube";
import { ISTIO_SECURITY, MeshView, kubeObjects } from "../lib/mesh";
import { violation } from "../lib/rule";
import { spinnakerOrRedis } from "../lib/workloads";

interface Config {
    rootNamespace: string;
}

const FIX = "admit named callers only: from[].source.principals or namespaces, without '*'";

export const authorizationPolicyCallers: StackValidationPolicy = {
    name: "authorization-policy-named-callers",
    description:
        "In a mesh, every namespace running Spinnaker or Redis must have an ALLOW AuthorizationPolicy, and every ALLOW policy that applies there (its own or the root namespace's) must admit named principals or namespaces only: no rule without 'from', no source without principals or namespaces, no '*'. DENY policies only narrow and are not judged.",
    severity: "high",
    configSchema: {
        properties: { rootNamespace: { type: "string", default: "istio-system", description: "Istio's root namespace: its policies apply to every namespace." } },
    },
    validateStack: (args, report) => {
        const { rootNamespace } = args.getConfig<Config>();
        const mesh = new MeshView(kubeObjects(args.resources), rootNamespace);
        if (!mesh.istioInUse) args.notApplicable("the stack declares no Istio resources");
        const runs = new Map<string, string | undefined>();
        for (const o of mesh.objects) if (spinnakerOrRedis(o) !== undefined && !runs.has(namespaceOf(o))) runs.set(namespaceOf(o), o.urn);
        const allow = mesh.authorizationPolicies.filter((o) => isKind(o, ISTIO_SECURITY, "AuthorizationPolicy") && (at(o.body, "spec", "action") ?? "ALLOW") === "ALLOW");
        for (const [ns, urn] of [...runs].sort(([a], [b]) => a.localeCompare(b))) {
            if (!allow.some((o) => namespaceOf(o) === ns || namespaceOf(o) === rootNamespace)) {
                report(violation(`Namespace ${ns}`, "", "runs Spinnaker or Redis but no ALLOW AuthorizationPolicy applies there, so Istio admits every workload of the mesh", `add an ALLOW AuthorizationPolicy in ${ns} naming its callers (from[].source.namespaces: [${ns}])`), urn);
            }
        }
        for (const o of allow.filter((x) => runs.has(namespaceOf(x)) || namespaceOf(x) === rootNamespace)) {
            asArray(at(o.body, "spec", "rules")).forEach((rule, i) => {
                const from = asArray(asRecord(rule).from);
                if (from.length === 0) report(violation(o, `spec.rules[${i}].from`, "is not set, so this rule admits any caller", FIX), o.urn);
                from.forEach((f, j) => {
                    const source = asRecord(asRecord(f).source);
                    const named = [...asArray(source.principals), ...asArray(source.namespaces)];
                    const where = `spec.rules[${i}].from[${j}].source`;
                    if (named.length === 0) report(violation(o, where, `is ${JSON.stringify(source)}: it names no principals or namespaces, so it admits any caller`, FIX), o.urn);
                    else if (named.includes("*")) report(violation(o, where, `is ${JSON.stringify(source)}: '*' admits any caller`, FIX), o.urn);
                });
            });
        }
    },
};
