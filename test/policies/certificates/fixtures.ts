// Certificates as the program declares them, for the certificate policies.
import { Fixture, kube } from "../../support/policyPack";

export const tlsLeaf = (props: Record<string, unknown> = {}): Fixture => ({
    type: "tls:index/locallySignedCert:LocallySignedCert",
    name: "spin-gate-cert",
    inputs: { allowedUses: ["digital_signature", "key_encipherment", "server_auth", "client_auth"], validityPeriodHours: 2160, earlyRenewalHours: 360, isCaCertificate: false, ...props },
});

export const tlsCa = (props: Record<string, unknown> = {}): Fixture => ({
    type: "tls:index/selfSignedCert:SelfSignedCert",
    name: "spinnaker-ca-cert",
    inputs: { allowedUses: ["cert_signing", "crl_signing"], validityPeriodHours: 87600, earlyRenewalHours: 8760, isCaCertificate: true, ...props },
});

export const tlsKey = (props: Record<string, unknown>): Fixture => ({ type: "tls:index/privateKey:PrivateKey", name: "spin-gate-key", inputs: props });

export const certificate = (spec: Record<string, unknown> = {}, name = "spin-gate", namespace = "spinnaker"): Fixture =>
    kube("cert-manager.io/v1", "Certificate", { name, namespace }, {
        spec: {
            secretName: `${name}-tls`,
            issuerRef: { name: "spinnaker-mtls-ca", kind: "Issuer", group: "cert-manager.io" },
            dnsNames: [`${name}.${namespace}.svc.cluster.local`],
            duration: "2160h",
            renewBefore: "360h",
            privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
            usages: ["digital signature", "key encipherment", "server auth", "client auth"],
            keystores: { pkcs12: { create: true, passwordSecretRef: { name: `${name}-keystore-password`, key: "password" }, profile: "Modern2023" } },
            ...spec,
        },
    });
