import { StackValidationPolicy } from "@pulumi/policy";
import { asArray, at, isKind } from "../lib/kube";
import { CERT_MANAGER } from "../lib/certificates";
import { kubeObjects } from "../lib/mesh";
import { violation } from "../lib/rule";

export const TLS_CERT_REQUEST = "tls:index/certRequest:CertRequest";

interface Leaf {
    /** How messages name it. */
    readonly ref: string;
    readonly field: string;
    /** The identity it is issued to: spin-<service>, from the Certificate's or the CertRequest's name. */
    readonly identity: string;
    readonly names: string[];
    readonly urn?: string;
}

/**
 * Which names a leaf may carry: no wildcard, and no name of another identity
 * the stack issues (its Service forms, or its pods' `<identity>-<n>`): every
 * peer verifies a host name against the certificate, so a leaf holding another
 * service's name can answer as that service.
 */
export const certificateNames: StackValidationPolicy = {
    name: "certificate-names",
    description:
        "A service certificate carries its own names only: no wildcard DNS name, and no name of another identity the stack issues (spin-<service> in any DNS form, or its pods' names), since a peer checks only that the host it dialled is on the certificate.",
    severity: "critical",
    validateStack: (args, report) => {
        const leaves: Leaf[] = [];
        for (const r of args.resources.filter((x) => x.type === TLS_CERT_REQUEST)) {
            leaves.push({ ref: `CertRequest ${r.name}`, field: "dnsNames", identity: r.name.replace(/-csr$/, ""), names: asArray(r.props.dnsNames).map(String), urn: r.urn });
        }
        for (const o of kubeObjects(args.resources).filter((x) => isKind(x, CERT_MANAGER, "Certificate"))) {
            if (at(o.body, "spec", "isCA") === true) continue;
            leaves.push({ ref: o.ref, field: "spec.dnsNames", identity: o.name, names: asArray(at(o.body, "spec", "dnsNames")).map(String), urn: o.urn });
        }
        const identities = new Set(leaves.map((l) => l.identity));
        for (const leaf of leaves) {
            for (const name of leaf.names) {
                if (name.includes("*")) {
                    report(violation(leaf.ref, leaf.field, `holds '${name}', a wildcard, so this certificate answers for every name it covers`, "list the service's own names one by one"), leaf.urn);
                    continue;
                }
                const label = name.split(".")[0];
                const other = [...identities].find((id) => id !== leaf.identity && (label === id || new RegExp(`^${id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-[0-9]+$`).test(label)));
                if (other) {
                    report(violation(leaf.ref, leaf.field, `holds '${name}', a name of ${other}, so ${leaf.identity}'s key can answer as ${other}`, `issue ${leaf.identity} only its own names`), leaf.urn);
                }
            }
        }
    },
};
