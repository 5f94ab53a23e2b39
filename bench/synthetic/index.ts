import * as pulumi from "@pulumi/pulumi";
import { CertificateAuthority, ServiceCertificate, ServiceName } from "../../components/pki";

const count = new pulumi.Config().requireNumber("count");
const key = { algorithm: "ECDSA", ecdsaCurve: "P256" } as const;
const ca = new CertificateAuthority("bench-ca", { key, organization: "Bench", validityHours: 87600, renewBeforeHours: 360 });
const certs = Array.from({ length: count }, (_, i) => {
    // Synthetic names stand in for real services: the component only uses them as labels.
    const name = `svc${String(i).padStart(3, "0")}` as ServiceName;
    return new ServiceCertificate(`spin-${name}`, {
        service: { name, port: 10000 + i, runtime: "java" },
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
