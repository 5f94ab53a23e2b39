// Which stack is stricter, knob by knob, on what the policies care about:
// the stack config settings they judge, and the policy config that sets
// their levels and limits. Promotion refuses a target weaker than its source.
import { KeySpec, StackConfig } from "../components/config";
import { EnforcementLevel, PolicyConfig } from "../engine/policyHost";

export interface Weakening {
    readonly knob: string;
    readonly from: string;
    readonly to: string;
}

/** Security strength in bits (NIST SP 800-57 Part 1, table 2): ECDSA P-256 128, P-384 192; RSA 2048 112, 3072 128, 4096 between (counted 128). */
export function keyStrengthBits(k: KeySpec): number {
    if (k.algorithm === "ECDSA") return k.ecdsaCurve === "P384" ? 192 : 128;
    return (k.rsaBits ?? 2048) >= 3072 ? 128 : 112;
}

const keyName = (k: KeySpec) => (k.algorithm === "ECDSA" ? `ECDSA ${k.ecdsaCurve}` : `RSA ${k.rsaBits}`);

interface StackKnob {
    readonly name: string;
    /** Higher is stricter. */
    readonly rank: (c: StackConfig) => number;
    readonly show: (c: StackConfig) => string;
}

/** The stack settings the policies judge, each ordered from weak to strict. */
export const STACK_KNOBS: readonly StackKnob[] = [
    { name: "clientAuth", rank: (c) => (c.clientAuth === "need" ? 1 : 0), show: (c) => c.clientAuth },
    { name: "key strength (keyAlgorithm, ecdsaCurve, rsaBits)", rank: (c) => keyStrengthBits(c.key), show: (c) => keyName(c.key) },
    { name: "istio", rank: (c) => (c.istio.enabled ? 1 : 0), show: (c) => String(c.istio.enabled) },
    { name: "istioAuthorizationPolicy (with istio)", rank: (c) => (c.istio.enabled && c.istio.authorizationPolicy ? 1 : 0), show: (c) => String(c.istio.enabled && c.istio.authorizationPolicy) },
    { name: "istioMeshWideStrict (with istio)", rank: (c) => (c.istio.enabled && c.istio.meshWideStrict ? 1 : 0), show: (c) => String(c.istio.enabled && c.istio.meshWideStrict) },
];

export function stackWeakenings(from: StackConfig, to: StackConfig): Weakening[] {
    return STACK_KNOBS.filter((k) => k.rank(to) < k.rank(from)).map((k) => ({ knob: k.name, from: k.show(from), to: k.show(to) }));
}

const LEVEL_RANK: Record<EnforcementLevel, number> = { disabled: 0, advisory: 1, remediate: 2, mandatory: 2 };

/** How each policy config property orders strictness. */
export type PropertyOrder = "lower" | "true" | "fewer" | "more" | "not a strictness";
export const POLICY_PROPERTY_ORDER: Readonly<Record<string, PropertyOrder>> = {
    maxLeafValidityHours: "lower",
    maxCaValidityHours: "lower",
    meshRequired: "true",
    maxCertTtlHours: "lower",
    required: "true",
    // Exemptions: fewer is stricter.
    serverAuthOnly: "fewer",
    // Issuers and gateway credentials from outside the stack that the rules accept: fewer is stricter.
    externalIssuers: "fewer",
    // ClusterIssuers limited by an approval policy outside the stack: fewer is stricter.
    approvedClusterIssuers: "fewer",
    externalCredentials: "fewer",
    // Namespaces declared in the mesh: more is stricter (more is judged).
    meshNamespaces: "more",
    rootNamespace: "not a strictness",
    clusterResourceNamespace: "not a strictness",
};

const show = (v: unknown) => JSON.stringify(v);

/** Where `to`'s reconciled policy config is weaker than `from`'s: a lower level, a looser limit, more exemptions. */
export function policyWeakenings(from: Record<string, PolicyConfig>, to: Record<string, PolicyConfig>): Weakening[] {
    const out: Weakening[] = [];
    for (const name of Object.keys(from).filter((n) => n !== "all").sort()) {
        const a = from[name];
        const b = to[name] ?? {};
        const la = a.enforcementLevel ?? "mandatory";
        const lb = b.enforcementLevel ?? "mandatory";
        if (LEVEL_RANK[lb] < LEVEL_RANK[la]) out.push({ knob: `${name} enforcement level`, from: la, to: lb });
        for (const [prop, va] of Object.entries(a.properties ?? {})) {
            const vb = b.properties?.[prop];
            const order = POLICY_PROPERTY_ORDER[prop];
            const knob = `${name}.${prop}`;
            if (order === undefined) throw new Error(`policy config property ${knob} has no strictness order; add it to POLICY_PROPERTY_ORDER`);
            const weaker =
                order === "lower" ? Number(vb) > Number(va)
                : order === "true" ? va === true && vb !== true
                : order === "fewer" ? ((vb ?? []) as unknown[]).some((x) => !(va as unknown[]).includes(x))
                : order === "more" ? (va as unknown[]).some((x) => !((vb ?? []) as unknown[]).includes(x))
                : false;
            if (weaker) out.push({ knob, from: show(va), to: show(vb) });
        }
    }
    return out;
}
