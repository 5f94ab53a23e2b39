// The keys of each service's Kubernetes Secret. They follow cert-manager's
// layout (tls.crt, tls.key, ca.crt, keystore.p12, truststore.p12) so that
// Spinnaker config can point at either backend's Secret the same way.
import * as crypto from "crypto";
import { buildKeystore, buildTruststore } from "../../lib/asn1/pkcs12";
import type { SpinnakerService } from "../../lib/catalog/serviceCatalog";

export const SECRET_KEY = {
    certificate: "tls.crt",
    privateKey: "tls.key",
    caCertificate: "ca.crt",
    keystore: "keystore.p12",
    truststore: "truststore.p12",
    keystorePassword: "keystore-password",
    truststorePassword: "truststore-password",
} as const;

/** How an identity reads its TLS material: PKCS#12 stores (and PEM) for Java, PEM files for the rest. */
export type SecretFormat = "pkcs12" | "pem";

/** Anything the PKI issues a certificate to: a Spinnaker service, or a Redis server. */
export interface TlsIdentity {
    /** Short name: the Kubernetes Service is `spin-<name>`, the Secret `spin-<name>-tls`. */
    readonly name: string;
    readonly format: SecretFormat;
    /**
     * The reader accepts only an RSA key in PKCS#1 PEM (`RSA PRIVATE KEY`),
     * whatever the stack's key algorithm: Armory's Go services load keys through
     * armory/go-yaml-tools, whose PEM decoding takes no other block type.
     */
    readonly rsaPkcs1Only?: boolean;
    /**
     * The reader presents the first certificate of its file and no chain:
     * armory/go-yaml-tools (pkg/tls/tls.go keeps pemBlocks[0]). Its leaf must
     * be signed by a CA every store holds (CertificateAuthority.leafOnlySigner).
     */
    readonly presentsLeafOnly?: boolean;
}

export const identityOf = (service: SpinnakerService): TlsIdentity => ({
    name: service.name,
    format: service.runtime === "java" ? "pkcs12" : "pem",
    ...(service.runtime === "go" ? { rsaPkcs1Only: true, presentsLeafOnly: true } : {}),
});

/** Which keys an identity's Secret holds, by how it reads TLS material. */
export function secretKeysFor(format: SecretFormat): string[] {
    const pem = [SECRET_KEY.certificate, SECRET_KEY.privateKey, SECRET_KEY.caCertificate];
    if (format !== "pkcs12") return pem;
    return [...pem, SECRET_KEY.keystore, SECRET_KEY.truststore, SECRET_KEY.keystorePassword, SECRET_KEY.truststorePassword];
}

export const serviceSecretName = (service: string): string => `spin-${service}-tls`;

/**
 * The Secret of a leaf the program signs with the root beside a backend that
 * writes spin-<name>-tls itself (cert-manager, the Otterize operator): its own
 * name, so that the pods move to it in one roll and nothing fights over one
 * object (TlsIdentity.presentsLeafOnly).
 */
export const rootSignedSecretName = (service: string): string => `spin-${service}-root-signed-tls`;

export interface SecretMaterial {
    readonly format: SecretFormat;
    readonly alias: string;
    readonly privateKeyPem: string;
    readonly certificatePem: string;
    /** What the stores hold: the root, and any intermediates after it. */
    readonly caCertificatePem: string;
    /** The root that ends the keystore's chain, when caCertificatePem holds intermediates too. */
    readonly rootCertificatePem?: string;
    readonly keystorePassword?: string;
    readonly truststorePassword?: string;
}

export const TRUSTSTORE_ALIAS = "spinnaker-ca";

/** The Secret's `data` (base64 values): a pure function of its inputs. */
export function serviceSecretData(m: SecretMaterial): Record<string, string> {
    const b64 = (s: string | Buffer) => Buffer.from(s).toString("base64");
    const data: Record<string, string> = {
        [SECRET_KEY.certificate]: b64(m.certificatePem),
        [SECRET_KEY.privateKey]: b64(m.privateKeyPem),
        [SECRET_KEY.caCertificate]: b64(m.caCertificatePem),
    };
    if (m.format === "pkcs12") {
        if (!m.keystorePassword || !m.truststorePassword) throw new Error(`${m.alias}: Java services need keystore and truststore passwords`);
        data[SECRET_KEY.keystore] = b64(
            buildKeystore({
                privateKeyPem: m.privateKeyPem,
                certificateChainPem: m.certificatePem + (m.rootCertificatePem ?? m.caCertificatePem),
                password: m.keystorePassword,
                alias: m.alias,
            }),
        );
        data[SECRET_KEY.truststore] = b64(buildTruststore({ caCertificatesPem: m.caCertificatePem, password: m.truststorePassword, alias: TRUSTSTORE_ALIAS }));
        data[SECRET_KEY.keystorePassword] = b64(m.keystorePassword);
        data[SECRET_KEY.truststorePassword] = b64(m.truststorePassword);
    }
    return data;
}

/** A digest of the Secret's content, for pod-template annotations that roll pods when it changes. */
export function secretChecksum(data: Record<string, string>): string {
    const h = crypto.createHash("sha256");
    for (const key of Object.keys(data).sort()) h.update(key).update("\0").update(data[key]).update("\0");
    return h.digest("hex");
}
