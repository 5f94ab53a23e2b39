import { StackValidationPolicy } from "@pulumi/policy";
import { at, isKind, namespaceOf } from "../lib/kube";
import { CERT_MANAGER, TLS_LOCALLY_SIGNED } from "../lib/certificates";
import { kubeObjects } from "../lib/mesh";
import { violation } from "../lib/rule";

interface Config {
    clusterResourceNamespace: string;
}

export const serviceNotCa: StackValidationPolicy = {
    name: "certificate-service-not-ca",
    description:
        "Only the CA behind a CA issuer may be a CA certificate (cert-manager isCA, @pulumi/tls isCaCertificate): a service whose certificate is a CA can sign certificates for any name every peer trusts.",
    severity: "critical",
    configSchema: {
        properties: {
            clusterResourceNamespace: { type: "string", default: "cert-manager", description: "cert-manager's cluster resource namespace, where a ClusterIssuer's CA Secret lives." },
        },
    },
    validateStack: (args, report) => {
        const { clusterResourceNamespace } = args.getConfig<Config>();
        const objects = kubeObjects(args.resources);
        // The Secrets CA issuers sign with (namespace/name): a Certificate writing one of them is that CA.
        const caSecrets = new Set<string>();
        for (const o of objects) {
            const secret = at(o.body, "spec", "ca", "secretName");
            if (typeof secret !== "string") continue;
            if (isKind(o, CERT_MANAGER, "ClusterIssuer")) caSecrets.add(`${clusterResourceNamespace}/${secret}`);
            if (isKind(o, CERT_MANAGER, "Issuer")) caSecrets.add(`${namespaceOf(o)}/${secret}`);
        }
        for (const o of objects.filter((x) => isKind(x, CERT_MANAGER, "Certificate") && at(x.body, "spec", "isCA") === true)) {
            const secret = `${namespaceOf(o)}/${String(at(o.body, "spec", "secretName"))}`;
            if (caSecrets.has(secret)) continue;
            report(violation(o, "spec.isCA", `is true, but Secret ${secret} backs no CA issuer: this certificate's key can sign any name its peers trust`, "remove isCA (service certificates are leaves)"), o.urn);
        }
        for (const r of args.resources.filter((x) => x.type === TLS_LOCALLY_SIGNED && x.props.isCaCertificate === true)) {
            report(violation(`LocallySignedCert ${r.name}`, "isCaCertificate", "is true: this certificate's key can sign any name its peers trust", "set isCaCertificate: false (only the self-signed root is a CA)"), r.urn);
        }
    },
};
