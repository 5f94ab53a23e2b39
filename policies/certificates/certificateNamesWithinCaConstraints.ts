import { StackValidationPolicy } from "@pulumi/policy";
import { X509Certificate } from "crypto";
import { asArray, at, isKind } from "../lib/kube";
import { CERT_MANAGER } from "../lib/certificates";
import { kubeObjects } from "../lib/mesh";
import { dnsNameConstraints, inDnsSubtree, pemCertificates } from "../lib/x509";
import { violation } from "../lib/rule";
import { TLS_CERT_REQUEST } from "./certificateNames";

const STACK_TYPE = "pulumi:pulumi:Stack";

interface ConstrainedCa {
    readonly subject: string;
    readonly permitted: string[];
    readonly excluded: string[];
}

const subjectOf = (c: X509Certificate) => `'${c.subject.replace(/\n/g, ", ")}'`;

/**
 * Every name a leaf from the stack's CA carries lies inside that CA's name
 * constraints: OpenSSL (Redis, Node) and Go's crypto/x509 refuse a
 * certificate with any name outside them, so such a leaf breaks the
 * handshakes of every peer that enforces them (an imported CA permitting
 * only `.spinnaker.svc.cluster.local`, say, against the short names every
 * leaf carries).
 */
export const certificateNamesWithinCaConstraints: StackValidationPolicy = {
    name: "certificate-names-within-ca-constraints",
    description:
        "A certificate the stack's CA issues carries only names inside that CA's nameConstraints (each CA of the stack output caCertificatePem that has them): OpenSSL (Redis, Node) and Go's crypto/x509 refuse a certificate holding any other name.",
    severity: "high",
    validateStack: (args, report) => {
        const cas: ConstrainedCa[] = [];
        for (const stack of args.resources.filter((r) => r.type === STACK_TYPE && typeof r.props.caCertificatePem === "string")) {
            for (const c of pemCertificates(stack.props.caCertificatePem as string)) {
                let nc: ReturnType<typeof dnsNameConstraints>;
                try {
                    nc = dnsNameConstraints(c);
                } catch {
                    continue; // not walkable: no judgement on a guess
                }
                if (nc && (nc.permitted.length > 0 || nc.excluded.length > 0)) cas.push({ subject: subjectOf(c), ...nc });
            }
        }
        if (cas.length === 0) return;

        const leaves: { ref: string; field: string; names: string[]; urn?: string }[] = [];
        for (const r of args.resources.filter((x) => x.type === TLS_CERT_REQUEST)) {
            leaves.push({ ref: `CertRequest ${r.name}`, field: "dnsNames", names: asArray(r.props.dnsNames).map(String), urn: r.urn });
        }
        const objects = kubeObjects(args.resources);
        // The stack's CA signs through a CA issuer whose Secret the stack itself writes (the program's copy
        // of its CA). An ACME issuer's certificates come from a public CA, and a CA issuer reading a Secret the
        // stack does not write is someone else's CA: neither is judged here.
        const stackSecrets = new Set(objects.filter((o) => isKind(o, "", "Secret")).map((o) => `${o.namespace}/${o.name}`));
        const stackCaIssuers = new Set(
            objects
                .filter((o) => isKind(o, CERT_MANAGER, "Issuer") || isKind(o, CERT_MANAGER, "ClusterIssuer"))
                .filter((o) => {
                    const secret = at(o.body, "spec", "ca", "secretName");
                    // A ClusterIssuer reads its Secret from cert-manager's cluster resource namespace: any namespace here.
                    return typeof secret === "string" && [...stackSecrets].some((k) => k === `${o.namespace}/${secret}` || (o.kind === "ClusterIssuer" && k.endsWith(`/${secret}`)));
                })
                .map((o) => `${o.kind}/${o.kind === "Issuer" ? o.namespace : ""}/${o.name}`),
        );
        for (const o of objects.filter((x) => isKind(x, CERT_MANAGER, "Certificate"))) {
            if (at(o.body, "spec", "isCA") === true) continue;
            const kind = String(at(o.body, "spec", "issuerRef", "kind") ?? "Issuer");
            if (!stackCaIssuers.has(`${kind}/${kind === "Issuer" ? o.namespace : ""}/${String(at(o.body, "spec", "issuerRef", "name"))}`)) continue;
            leaves.push({ ref: o.ref, field: "spec.dnsNames", names: asArray(at(o.body, "spec", "dnsNames")).map(String), urn: o.urn });
        }

        for (const leaf of leaves) {
            for (const name of leaf.names) {
                const refusing = cas.filter((ca) => (ca.permitted.length > 0 && !ca.permitted.some((t) => inDnsSubtree(name, t))) || ca.excluded.some((t) => inDnsSubtree(name, t)));
                if (refusing.length === 0) continue;
                report(
                    violation(
                        leaf.ref,
                        leaf.field,
                        `holds '${name}', outside the name constraints of the CA ${refusing.map((c) => c.subject).join(", ")}, so OpenSSL (Redis, Node) and Go's crypto/x509 refuse this certificate`,
                        "issue only names the CA permits (a generated CA permits the stack's own names and its extraSans: docs/configuration.md, Name constraints), or import a CA whose constraints permit this name",
                    ),
                    leaf.urn,
                );
            }
        }
    },
};
