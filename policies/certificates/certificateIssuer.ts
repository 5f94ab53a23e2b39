import { StackValidationPolicy } from "@pulumi/policy";
import { KubeObject, asArray, at, isKind, isRecord, namespaceOf } from "../lib/kube";
import { CERT_MANAGER } from "../lib/certificates";
import { ISTIO_NETWORKING, kubeObjects } from "../lib/mesh";
import { violation } from "../lib/rule";

interface Config {
    externalIssuers: string[];
}

/** What kind of CA an Issuer or ClusterIssuer is: its one issuer block (ca, selfSigned, acme, vault, venafi). */
const issuerType = (o: KubeObject): string => ["ca", "selfSigned", "acme", "vault", "venafi"].find((k) => isRecord(at(o.body, "spec", k))) ?? "unknown";

/** Secrets a Gateway serves to the public (namespace/name): only their certificates may come from a public CA. */
function gatewayCredentials(objects: KubeObject[]): Set<string> {
    const out = new Set<string>();
    for (const o of objects.filter((x) => isKind(x, ISTIO_NETWORKING, "Gateway"))) {
        for (const s of asArray(at(o.body, "spec", "servers"))) {
            const name = at(s, "tls", "credentialName");
            if (typeof name === "string") out.add(name.includes("/") ? name : `${namespaceOf(o)}/${name}`);
        }
    }
    return out;
}

export const certificateIssuer: StackValidationPolicy = {
    name: "certificate-issuer",
    description:
        "A cert-manager Certificate must name an Issuer or ClusterIssuer this stack declares (or one listed in externalIssuers), and a service certificate must come from a CA issuer: a self-signed certificate is trusted by no peer, and a public ACME CA issues no client-auth certificates for cluster names.",
    severity: "high",
    configSchema: {
        properties: {
            externalIssuers: {
                type: "array",
                items: { type: "string" },
                default: [],
                description: "Issuers managed outside this stack that Certificates may name: `ClusterIssuer/<name>`, `<namespace>/Issuer/<name>`, or `<group>/<kind>/<name>` for an external issuer.",
            },
        },
    },
    validateStack: (args, report) => {
        const { externalIssuers } = args.getConfig<Config>();
        const objects = kubeObjects(args.resources);
        const issuers = new Map<string, KubeObject>();
        for (const o of objects) {
            if (isKind(o, CERT_MANAGER, "ClusterIssuer")) issuers.set(`ClusterIssuer/${o.name}`, o);
            if (isKind(o, CERT_MANAGER, "Issuer")) issuers.set(`${namespaceOf(o)}/Issuer/${o.name}`, o);
        }
        const gateway = gatewayCredentials(objects);
        for (const o of objects.filter((x) => isKind(x, CERT_MANAGER, "Certificate"))) {
            const ref = at(o.body, "spec", "issuerRef");
            if (o.patch && ref === undefined) continue;
            const name = String(at(ref, "name") ?? "");
            const kind = String(at(ref, "kind") ?? "Issuer");
            const group = String(at(ref, "group") ?? CERT_MANAGER);
            const key = group !== CERT_MANAGER ? `${group}/${kind}/${name}` : kind === "ClusterIssuer" ? `ClusterIssuer/${name}` : `${namespaceOf(o)}/Issuer/${name}`;
            if (externalIssuers.includes(key)) continue;
            const issuer = issuers.get(key);
            if (!issuer) {
                report(violation(o, "spec.issuerRef", `names ${key}, which this stack does not declare, so whoever controls that name issues this certificate`, `name one of the stack's issuers (${[...issuers.keys()].join(", ") || "none"}), or list '${key}' in the policy's externalIssuers`), o.urn);
                continue;
            }
            const type = issuerType(issuer);
            const secret = `${namespaceOf(o)}/${String(at(o.body, "spec", "secretName"))}`;
            const publicCert = gateway.has(secret);
            if (at(o.body, "spec", "isCA") === true) continue; // certificate-service-not-ca judges CA certificates
            if (type === "selfSigned" || (type === "acme" && !publicCert)) {
                const why = type === "selfSigned" ? "a self-signed certificate, which no peer trusts" : "a public ACME CA, which issues no client-auth certificate for cluster names";
                report(violation(o, "spec.issuerRef.name", `is '${name}' (${kind}), ${why}`, "issue service certificates from the mesh CA issuer (spec.ca)"), o.urn);
            }
        }
    },
};
