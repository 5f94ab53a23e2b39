import { StackValidationPolicy } from "@pulumi/policy";
import { parseAllDocuments } from "yaml";
import { KubeObject, asRecord, at, isKind, isRecord, namespaceOf, podTemplate } from "../lib/kube";
import { INJECT, MeshView, kubeObjects } from "../lib/mesh";
import { violation } from "../lib/rule";
import { SpinnakerConfig, isSpinnakerService } from "../lib/spinnaker";

interface Config {
    rootNamespace: string;
    meshNamespaces: string[];
}

const isFalse = (v: unknown): boolean => v === false || (typeof v === "string" && v.trim().toLowerCase() === "false");

/** Where a kustomize patch (strategic merge or JSON 6902, as YAML text or objects) turns injection off. */
function disabledInPatch(patch: unknown, path: string): string[] {
    const docs = typeof patch === "string" ? parseAllDocuments(patch).map((d) => d.toJS() as unknown) : [patch];
    const out: string[] = [];
    const walk = (v: unknown): void => {
        if (Array.isArray(v)) v.forEach(walk);
        else if (isRecord(v)) {
            if (isFalse(v[INJECT])) out.push(path);
            if (typeof v.path === "string" && v.path.includes("sidecar.istio.io~1inject") && isFalse(v.value)) out.push(path);
            Object.values(v).forEach(walk);
        }
    };
    docs.forEach(walk);
    return out;
}

function spinnakerProblems(o: KubeObject): string[] {
    const spin = new SpinnakerConfig(o);
    const out: string[] = [];
    for (const [service, settings] of Object.entries(asRecord(at(spin.config, "service-settings")))) {
        for (const field of ["podLabels", "podAnnotations"]) {
            if (isFalse(at(settings, "kubernetes", field, INJECT))) {
                out.push(violation(o, spin.settingsPath(service, `kubernetes.${field}.${INJECT}`), "is \"false\", so this service runs outside the mesh", "remove it (or set \"true\")"));
            }
        }
    }
    for (const [service, parts] of Object.entries(asRecord(at(o.body, "spec", "kustomize")))) {
        for (const [part, body] of Object.entries(asRecord(parts))) {
            for (const [kind, patches] of Object.entries(asRecord(body))) {
                (Array.isArray(patches) ? patches : [patches]).forEach((p, i) => {
                    for (const where of disabledInPatch(p, `spec.kustomize.${service}.${part}.${kind}[${i}]`)) {
                        out.push(violation(o, where, `sets ${INJECT} to false, so ${service} runs outside the mesh`, "remove that patch"));
                    }
                });
            }
        }
    }
    return out;
}

export const sidecarInjection: StackValidationPolicy = {
    name: "sidecar-injection-not-disabled",
    description: "Nothing in a mesh-enabled namespace may opt out of sidecar injection: without a sidecar a pod neither enforces nor uses mutual TLS.",
    severity: "critical",
    configSchema: {
        properties: {
            rootNamespace: { type: "string", default: "istio-system", description: "Istio's root namespace." },
            meshNamespaces: {
                type: "array",
                items: { type: "string" },
                default: [],
                description: "Namespaces that are mesh-enabled outside this stack (labelled by hand or by another project).",
            },
        },
    },
    validateStack: (args, report) => {
        const { rootNamespace, meshNamespaces } = args.getConfig<Config>();
        const mesh = new MeshView(kubeObjects(args.resources), rootNamespace, meshNamespaces);
        const inMesh = new Set(mesh.meshNamespaces());
        if (inMesh.size === 0) args.notApplicable("no namespace of this stack is mesh-enabled");
        for (const o of mesh.objects) {
            if (isKind(o, "", "Namespace") && inMesh.has(o.name) && o.labels["istio-injection"] === "disabled") {
                report(violation(o, "metadata.labels.istio-injection", `is "disabled" on a namespace the mesh secures`, "set it to \"enabled\""), o.urn);
            }
            if (!inMesh.has(namespaceOf(o))) continue;
            if (isSpinnakerService(o)) {
                spinnakerProblems(o).forEach((m) => report(m, o.urn));
                continue;
            }
            const t = podTemplate(o);
            if (!t) continue;
            const base = t.path ? `${t.path}.metadata` : "metadata";
            if (isFalse(t.annotations[INJECT])) report(violation(o, `${base}.annotations.${INJECT}`, "is \"false\", so this pod runs outside the mesh", "remove the annotation"), o.urn);
            if (isFalse(t.labels[INJECT])) report(violation(o, `${base}.labels.${INJECT}`, "is \"false\", so this pod runs outside the mesh", "remove the label"), o.urn);
        }
    },
};
