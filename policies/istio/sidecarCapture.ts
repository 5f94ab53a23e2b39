import { StackValidationPolicy } from "@pulumi/policy";
import { parseAllDocuments } from "yaml";
import { KubeObject, asRecord, at, isKind, isRecord, namespaceOf, podTemplate } from "../lib/kube";
import { MeshView, kubeObjects } from "../lib/mesh";
import { violation } from "../lib/rule";
import { SpinnakerConfig, isSpinnakerService } from "../lib/spinnaker";

interface Config {
    rootNamespace: string;
    meshNamespaces: string[];
}

/**
 * Istio's pod annotations that let traffic bypass the sidecar (istio.io/api
 * annotation/annotations.gen.go): any value of an exclude list, and an
 * include list narrowed from its default `*` (an empty one captures nothing).
 */
const EXCLUDES = ["excludeInboundPorts", "excludeOutboundPorts", "excludeOutboundIPRanges", "excludeInterfaces"].map((a) => `traffic.sidecar.istio.io/${a}`);
const INCLUDES = ["includeInboundPorts", "includeOutboundIPRanges"].map((a) => `traffic.sidecar.istio.io/${a}`);

/** How an annotation's value takes traffic out of the mesh (the value, and what follows), or undefined when it does not. */
function bypass(name: string, value: unknown): { value: string; effect: string } | undefined {
    const v = typeof value === "string" ? value.trim() : value === undefined || value === null ? undefined : String(value);
    if (v === undefined) return undefined;
    if (EXCLUDES.includes(name)) return v === "" ? undefined : { value: v, effect: "so that traffic bypasses the sidecar and its mutual TLS" };
    if (INCLUDES.includes(name)) return v === "*" ? undefined : { value: v, effect: "so traffic outside it bypasses the sidecar and its mutual TLS" };
    return undefined;
}
const is = (b: { value: string; effect: string }): string => `is '${b.value}', ${b.effect}`;

const NAMES = [...EXCLUDES, ...INCLUDES];

/** Bypassing annotations in a kustomize patch (strategic merge or JSON 6902, as YAML text or objects). */
function inPatch(patch: unknown): { name: string; hit: { value: string; effect: string } }[] {
    const docs = typeof patch === "string" ? parseAllDocuments(patch).map((d) => d.toJS() as unknown) : [patch];
    const out: { name: string; hit: { value: string; effect: string } }[] = [];
    const walk = (v: unknown): void => {
        if (Array.isArray(v)) v.forEach(walk);
        else if (isRecord(v)) {
            for (const name of NAMES) {
                const direct = bypass(name, v[name]);
                if (direct) out.push({ name, hit: direct });
                // A JSON 6902 operation on the annotation (its path escapes '/' as '~1').
                if (typeof v.path === "string" && v.path.endsWith(name.replace("/", "~1"))) {
                    const op = bypass(name, v.value);
                    if (op) out.push({ name, hit: op });
                }
            }
            Object.values(v).forEach(walk);
        }
    };
    docs.forEach(walk);
    return out;
}

function spinnakerProblems(o: KubeObject): string[] {
    const spin = new SpinnakerConfig(o);
    const out: string[] = [];
    for (const service of Object.keys(asRecord(at(spin.config, "service-settings")))) {
        const annotations = asRecord(at(spin.settings(service), "kubernetes", "podAnnotations"));
        for (const name of NAMES) {
            const p = bypass(name, annotations[name]);
            if (p) out.push(violation(o, spin.settingsPath(service, `kubernetes.podAnnotations.${name}`), is(p), "remove the annotation"));
        }
    }
    for (const [service, parts] of Object.entries(asRecord(at(o.body, "spec", "kustomize")))) {
        for (const [part, body] of Object.entries(asRecord(parts))) {
            for (const [kind, patches] of Object.entries(asRecord(body))) {
                (Array.isArray(patches) ? patches : [patches]).forEach((patch, i) => {
                    for (const { name, hit } of inPatch(patch)) {
                        out.push(violation(o, `spec.kustomize.${service}.${part}.${kind}[${i}]`, `sets ${name} to '${hit.value}', ${hit.effect}`, "remove that patch"));
                    }
                });
            }
        }
    }
    return out;
}

export const sidecarCapture: StackValidationPolicy = {
    name: "sidecar-capture-not-narrowed",
    description:
        "No pod in a mesh-enabled namespace may take a port, address range or interface out of its sidecar's capture (traffic.sidecar.istio.io/exclude* annotations, or include* narrowed from '*'): traffic that bypasses the sidecar bypasses STRICT mutual TLS with it.",
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
            if (!inMesh.has(namespaceOf(o)) || isKind(o, "", "Namespace")) continue;
            if (isSpinnakerService(o)) {
                spinnakerProblems(o).forEach((m) => report(m, o.urn));
                continue;
            }
            const t = podTemplate(o);
            if (!t) continue;
            const base = t.path ? `${t.path}.metadata` : "metadata";
            for (const name of NAMES) {
                const p = bypass(name, t.annotations[name]);
                if (p) report(violation(o, `${base}.annotations.${name}`, is(p), "remove the annotation"), o.urn);
            }
        }
    },
};
