import * as pulumi from "@pulumi/pulumi";
import { CertificateAuthority, ServiceCertificate } from "../../components/pki";

const count = new pulumi.Config().requireNumber("count");
const key = { algorithm: "ECDSA", ecdsaCurve: "P256" } as const;
const ca = new CertificateAuthority("bench-ca", { key, organization: "Bench", validityHours: 87600, renewBeforeHours: 360 });
const certs = Array.from({ length: count }, (_, i) => {
    // Synthetic Java identities stand in for real services: the component only uses the name for labels and SANs.
    const name = `svc${String(i).padStart(3, "0")}`;
    return new ServiceCertificate(`spin-${name}`, {
        identity: { name, format: "pkcs12" },
        namespace: "bench",
        caCertPem: ca.certPem,
        caPrivateKeyPem: ca.privateKeyPem,
        key,
        organization: "Bench",
        validityHours: 2160,
        renewBeforeHours: 360,
    });
});

export const issued = certs.length;
