import { StackValidationPolicy } from "@pulumi/policy";
import { namespaceOf } from "../lib/kube";
import { MeshView, kubeObjects } from "../lib/mesh";
import { violation } from "../lib/rule";
import { spinnakerOrRedis } from "../lib/workloads";

interface Config {
    rootNamespace: string;
    meshRequired: boolean;
}

export const peerAuthenticationCoverage: StackValidationPolicy = {
    name: "peer-authentication-coverage",
    description: "Every namespace that runs Spinnaker or Redis must be covered by a STRICT PeerAuthentication, namespace-wide or mesh-wide.",
    severity: "critical",
    configSchema: {
        properties: {
            rootNamespace: { type: "string", default: "istio-system", description: "Istio's root namespace: a PeerAuthentication there without a selector is mesh-wide." },
            meshRequired: {
                type: "boolean",
                default: true,
                description: "Require the mesh even in a stack that declares no Istio resources. false suits an environment that relies on Spinnaker's own TLS alone (dev).",
            },
        },
    },
    validateStack: (args, report) => {
        const { rootNamespace, meshRequired } = args.getConfig<Config>();
        const mesh = new MeshView(kubeObjects(args.resources), rootNamespace);
        if (!meshRequired && !mesh.istioInUse) args.notApplicable("the stack declares no Istio resources and meshRequired is false");
        const runs = new Map<string, { what: string[]; urn?: string }>();
        for (const o of mesh.objects) {
            const what = spinnakerOrRedis(o);
            if (!what) continue;
            const entry = runs.get(namespaceOf(o)) ?? { what: [], urn: o.urn };
            entry.what.push(what);
            runs.set(namespaceOf(o), entry);
        }
        for (const [ns, { what, urn }] of [...runs].sort(([a], [b]) => a.localeCompare(b))) {
            if (mesh.strict(ns)) continue;
            report(
                violation(
                    `Namespace ${ns}`,
                    "",
                    `runs ${what.join(", ")} but no STRICT PeerAuthentication covers it`,
                    `add a PeerAuthentication without a selector in ${ns} (or in ${rootNamespace} for the whole mesh) with spec.mtls.mode: STRICT`,
                ),
                urn,
            );
        }
    },
};
