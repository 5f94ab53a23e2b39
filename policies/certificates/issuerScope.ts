import { StackValidationPolicy } from "@pulumi/policy";
import { KubeObject, asArray, at, isKind, isRecord } from "../lib/kube";
import { CERT_MANAGER } from "../lib/certificates";
import { kubeObjects } from "../lib/mesh";
import { violation } from "../lib/rule";

interface Config {
    approvedClusterIssuers: string[];
}

/** approver-policy's API group: its CertificateRequestPolicy decides which requests an issuer's approver lets through. */
export const APPROVER_POLICY = "policy.cert-manager.io";

const ISSUER_TYPES = ["ca", "selfSigned", "acme", "vault", "venafi"] as const;
const issuerType = (o: KubeObject): string => ISSUER_TYPES.find((k) => isRecord(at(o.body, "spec", k))) ?? "unknown";

/** approver-policy's selector strings take `*` as a wildcard; an absent field selects anything. */
const matchesPattern = (pattern: unknown, value: string): boolean =>
    typeof pattern !== "string" || new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`).test(value);

/** Whether a CertificateRequestPolicy selects this ClusterIssuer and names the namespaces it serves (no `*`). */
function limits(policy: KubeObject, issuer: KubeObject): boolean {
    const ref = at(policy.body, "spec", "selector", "issuerRef");
    if (!isRecord(ref)) return false;
    if (!matchesPattern(ref.name, issuer.name) || !matchesPattern(ref.kind, "ClusterIssuer") || !matchesPattern(ref.group, CERT_MANAGER)) return false;
    const names = asArray(at(policy.body, "spec", "selector", "namespace", "matchNames"));
    const labels = at(policy.body, "spec", "selector", "namespace", "matchLabels");
    return (names.length > 0 && names.every((n) => typeof n === "string" && !n.includes("*"))) || (isRecord(labels) && Object.keys(labels).length > 0);
}

export const issuerScope: StackValidationPolicy = {
    name: "certificate-issuer-scope",
    description:
        "A ClusterIssuer that signs with a trusted key (CA, ACME, Vault, Venafi) must be limited by an approver-policy CertificateRequestPolicy naming the namespaces it serves: a ClusterIssuer signs for a Certificate in any namespace, and cert-manager's built-in approver approves every request, so anyone who may create a Certificate anywhere would get a Spinnaker identity (or a public certificate for the ingress host).",
    severity: "critical",
    configSchema: {
        properties: {
            approvedClusterIssuers: {
                type: "array",
                items: { type: "string" },
                default: [],
                description: "ClusterIssuers limited by a CertificateRequestPolicy managed outside this stack (with cert-manager's built-in approver turned off), by name.",
            },
        },
    },
    validateStack: (args, report) => {
        const { approvedClusterIssuers } = args.getConfig<Config>();
        const objects = kubeObjects(args.resources);
        const policies = objects.filter((o) => isKind(o, APPROVER_POLICY, "CertificateRequestPolicy"));
        for (const o of objects.filter((x) => isKind(x, CERT_MANAGER, "ClusterIssuer") && !x.patch)) {
            const type = issuerType(o);
            // A self-signed issuer's certificates are trusted by no peer: issuing them anywhere grants nothing.
            if (type === "selfSigned" || approvedClusterIssuers.includes(o.name)) continue;
            if (policies.some((p) => limits(p, o))) continue;
            report(
                violation(
                    o,
                    `spec.${type}`,
                    "is a cluster-scoped issuer that any namespace may request from, and cert-manager's built-in approver approves every request, so anyone who may create a Certificate anywhere gets one signed by it",
                    `use a namespaced Issuer in the namespace that needs it, or declare an approver-policy CertificateRequestPolicy whose spec.selector.issuerRef selects ClusterIssuer ${o.name} and whose spec.selector.namespace.matchNames lists the namespaces it serves (and run cert-manager with its built-in approver off); a policy managed elsewhere: list '${o.name}' in approvedClusterIssuers`,
                ),
                o.urn,
            );
        }
    },
};
