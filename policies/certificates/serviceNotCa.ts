import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { at, isKind, namespaceOf } from "../lib/kube";
import { CERT_MANAGER, TLS_LOCALLY_SIGNED } from "../lib/certificates";
import { kubeObjects } from "../lib/mesh";
import { violation } from "../lib/rule";

/**
 * The program's CA component, and the name its issuing CA's certificate ends in
 * (components/pki/caChain.ts ISSUING_CERT_SUFFIX; the pack imports nothing from the program).
 */
const CERTIFICATE_AUTHORITY = "spinnaker-mtls:pki:CertificateAuthority";
const ISSUING_CERT_SUFFIX = "-issuing-cert";

interface Config {
    clusterResourceNamespace: string;
}

export const serviceNotCa: StackValidationPolicy = {
    name: "certificate-service-not-ca",
    description:
        "Only the CA behind a CA issuer may be a CA certificate (cert-manager isCA, @pulumi/tls isCaCertificate), and, among @pulumi/tls certificates, the issuing CA the program's CertificateAuthority makes under its root: a service whose certificate is a CA can sign certificates for any name every peer trusts.",
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
        // The CertificateAuthority component's own issuing CA (name-constrained, path length 0, re-signed in the program).
        const issuingCa = (r: PolicyResource) => r.parent?.type === CERTIFICATE_AUTHORITY && r.name.endsWith(ISSUING_CERT_SUFFIX);
        for (const r of args.resources.filter((x) => x.type === TLS_LOCALLY_SIGNED && x.props.isCaCertificate === true && !issuingCa(x))) {
            report(violation(`LocallySignedCert ${r.name}`, "isCaCertificate", "is true: this certificate's key can sign any name its peers trust", "set isCaCertificate: false (only the self-signed root is a CA)"), r.urn);
        }
    },
};
