// The Istio picture of a whole stack: which namespaces STRICT mTLS covers,
// which are in the mesh (sidecars injected), and which AuthorizationPolicies
// decide who reaches a workload.
import { KubeObject, Props, asArray, asRecord, at, isKind, isRecord, kubeObject, namespaceOf, stringMap } from "./kube";

export const ISTIO_SECURITY = "security.istio.io";
export const ISTIO_NETWORKING = "networking.istio.io";
export const INJECT = "sidecar.istio.io/inject";

export interface StackResource {
    readonly type: string;
    readonly props: Props;
    readonly urn?: string;
}

/** Objects of the stack that are Kubernetes objects, in stack order. */
export const kubeObjects = (resources: readonly StackResource[]): KubeObject[] => resources.flatMap((r) => kubeObject(r.type, r.props, r.urn) ?? []);

const hasSelector = (o: KubeObject): boolean => Object.keys(stringMap(at(o.body, "spec", "selector", "matchLabels"))).length > 0 || isRecord(at(o.body, "spec", "targetRef")) || asArray(at(o.body, "spec", "targetRefs")).length > 0;

export class MeshView {
    /** Per namespace, its namespace-wide PeerAuthentications' modes. */
    private readonly namespaceModes = new Map<string, string[]>();
    private readonly injection = new Map<string, { enabled: boolean; ref: string }>();
    readonly authorizationPolicies: KubeObject[];
    readonly istioInUse: boolean;

    constructor(
        readonly objects: readonly KubeObject[],
        readonly rootNamespace: string,
        /** Namespaces the operator declares mesh-enabled outside this stack (labelled by hand or by another project). */
        private readonly declaredMeshNamespaces: readonly string[] = [],
    ) {
        for (const o of objects) {
            if (isKind(o, ISTIO_SECURITY, "PeerAuthentication") && !hasSelector(o)) {
                const ns = namespaceOf(o);
                const mode = at(o.body, "spec", "mtls", "mode");
                this.namespaceModes.set(ns, [...(this.namespaceModes.get(ns) ?? []), typeof mode === "string" ? mode : "UNSET"]);
            }
            if (isKind(o, "", "Namespace")) {
                const label = o.labels["istio-injection"];
                if (label !== undefined || o.labels["istio.io/rev"] !== undefined) {
                    this.injection.set(o.name, { enabled: label !== "disabled" && (label === "enabled" || o.labels["istio.io/rev"] !== undefined), ref: o.ref });
                }
            }
        }
        this.authorizationPolicies = objects.filter((o) => isKind(o, ISTIO_SECURITY, "AuthorizationPolicy"));
        this.istioInUse = objects.some((o) => o.group.endsWith(".istio.io")) || this.injection.size > 0;
    }

    /** STRICT from a namespace-wide PeerAuthentication, or from a mesh-wide one when the namespace has none of its own. */
    strict(namespace: string): boolean {
        const own = this.namespaceModes.get(namespace);
        if (own) return own.every((m) => m === "STRICT") || (own.every((m) => m === "STRICT" || m === "UNSET") && this.meshWideStrict());
        return this.meshWideStrict();
    }

    meshWideStrict(): boolean {
        const modes = this.namespaceModes.get(this.rootNamespace);
        return !!modes && modes.every((m) => m === "STRICT");
    }

    /** Namespaces with a namespace-wide PeerAuthentication of their own. */
    peerAuthenticatedNamespaces(): string[] {
        return [...this.namespaceModes.keys()];
    }

    /** Injection as this stack (or the operator's declaration) sets it for a namespace; undefined when unknown. */
    injectionOf(namespace: string): { enabled: boolean; ref: string } | undefined {
        if (this.injection.has(namespace)) return this.injection.get(namespace);
        if (this.declaredMeshNamespaces.includes(namespace)) return { enabled: true, ref: `declared mesh namespace ${namespace}` };
        return undefined;
    }

    /** Every namespace this stack means to be in the mesh. */
    meshNamespaces(): string[] {
        const out = new Set<string>(this.declaredMeshNamespaces);
        for (const [ns, i] of this.injection) if (i.enabled) out.add(ns);
        for (const ns of this.namespaceModes.keys()) if (ns !== this.rootNamespace) out.add(ns);
        return [...out].sort();
    }

    /**
     * Why the ALLOW AuthorizationPolicies that apply to a workload do not
     * restrict its callers to named principals or namespaces; empty when they do.
     */
    openings(namespace: string, podLabels: Record<string, string>): string[] {
        const applies = (o: KubeObject) => {
            const ns = namespaceOf(o);
            if (ns !== namespace && ns !== this.rootNamespace) return false;
            const sel = stringMap(at(o.body, "spec", "selector", "matchLabels"));
            return Object.entries(sel).every(([k, v]) => podLabels[k] === v);
        };
        const allow = this.authorizationPolicies.filter((o) => applies(o) && (at(o.body, "spec", "action") ?? "ALLOW") === "ALLOW");
        if (allow.length === 0) return ["no ALLOW AuthorizationPolicy applies to it, so Istio lets every caller in"];
        const problems: string[] = [];
        for (const o of allow) {
            const rules = asArray(at(o.body, "spec", "rules"));
            if (rules.length === 0) continue; // an ALLOW policy without rules allows nothing
            rules.forEach((rule, i) => {
                const from = asArray(asRecord(rule).from);
                if (from.length === 0) problems.push(`${o.ref} spec.rules[${i}] has no 'from', so it allows any caller`);
                from.forEach((f, j) => {
                    const source: Props = asRecord(asRecord(f).source);
                    const named = [...asArray(source.principals), ...asArray(source.namespaces)];
                    if (named.length === 0) problems.push(`${o.ref} spec.rules[${i}].from[${j}] names no principals or namespaces`);
                    else if (named.some((n) => n === "*")) problems.push(`${o.ref} spec.rules[${i}].from[${j}] allows '*'`);
                });
            });
        }
        return problems;
    }
}
