// cert-manager Certificate specs, pure. Typed with cert-manager's own models
// (@kubernetes-models/cert-manager), so a misspelt field fails to compile;
// the tests validate the emitted objects against the same package's CRD
// schema.
import type { ICertificate } from "@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate";
import type { IIssuer } from "@kubernetes-models/cert-manager/cert-manager.io/v1/Issuer";
import type { KeySpec } from "../config/pkiConfig";
import type { SecretFormat } from "../pki/secretLayout";

export type CertificateSpec = NonNullable<ICertificate["spec"]>;
export type IssuerSpec = NonNullable<IIssuer["spec"]>;

export const CERT_MANAGER_API_VERSION = "cert-manager.io/v1";

/** The key name cert-manager reads a PKCS#12 password from, in its own Secret per identity. */
export const KEYSTORE_PASSWORD_KEY = "password";
export const keystorePasswordSecretName = (name: string): string => `spin-${name}-keystore-password`;

export function privateKeySpec(key: KeySpec): NonNullable<CertificateSpec["privateKey"]> {
    // A new key on every renewal: a leaked key dies with its certificate.
    // PKCS1 spelled out (it is cert-manager's default): the Go services read no other RSA encoding.
    return key.algorithm === "RSA"
        ? { algorithm: "RSA", encoding: "PKCS1", size: key.rsaBits!, rotationPolicy: "Always" }
        : { algorithm: "ECDSA", size: key.ecdsaCurve === "P384" ? 384 : 256, rotationPolicy: "Always" };
}

/** Both EKUs, as the program's own PKI issues them: each service's server certificate is also its client certificate. */
export function serviceUsages(key: KeySpec): NonNullable<CertificateSpec["usages"]> {
    return key.algorithm === "RSA" ? ["digital signature", "key encipherment", "server auth", "client auth"] : ["digital signature", "server auth", "client auth"];
}

export const hours = (h: number): string => `${h}h`;

export interface ServiceCertificateSpecInput {
    /** spin-<name>: the identity's name. */
    readonly name: string;
    readonly secretName: string;
    readonly dnsNames: readonly string[];
    readonly organization: string;
    readonly key: KeySpec;
    readonly validityHours: number;
    readonly renewBeforeHours: number;
    readonly format: SecretFormat;
    readonly issuer: string;
    readonly labels: Readonly<Record<string, string>>;
}

export function serviceCertificateSpec(i: ServiceCertificateSpecInput): CertificateSpec {
    return {
        secretName: i.secretName,
        secretTemplate: { labels: { ...i.labels } },
        commonName: `spin-${i.name}`,
        dnsNames: [...i.dnsNames],
        subject: { organizations: [i.organization] },
        duration: hours(i.validityHours),
        renewBefore: hours(i.renewBeforeHours),
        privateKey: privateKeySpec(i.key),
        usages: serviceUsages(i.key),
        // A namespaced Issuer in the Certificate's own namespace (certManagerIssuers.ts says why not a ClusterIssuer).
        issuerRef: { name: i.issuer, kind: "Issuer", group: "cert-manager.io" },
        ...(i.format === "pkcs12"
            ? {
                  keystores: {
                      pkcs12: {
                          create: true,
                          passwordSecretRef: { name: keystorePasswordSecretName(i.name), key: KEYSTORE_PASSWORD_KEY },
                          // The default (LegacyRC2) profile does not load in OpenSSL 3 or Java 20+.
                          profile: "Modern2023",
                      },
                  },
              }
            : {}),
    };
}
