// Where a service's TLS material lives, whichever backend issued it: which
// Secret, which keys, and where the keystore passwords are. The settings
// builder refers to material only through this, so the Spinnaker patch works
// the same over certificates from Pulumi or from cert-manager.
import type * as pulumi from "@pulumi/pulumi";
import { SECRET_KEY, SecretFormat, serviceSecretName } from "./secretLayout";

export interface SecretKeyRef {
    readonly secret: string;
    readonly key: string;
}

export interface TlsMaterial {
    /** The Secret holding the certificate files. */
    readonly secret: string;
    readonly certificate: string;
    readonly privateKey: string;
    /**
     * The Secret holding the trust files (caCertificate, truststore) when not `secret`:
     * the program's CA trust bundle beside cert-manager's certificates (caTrustBundle.ts).
     */
    readonly trustSecret?: string;
    readonly caCertificate: string;
    /** PKCS#12 stores, for Java services. */
    readonly keystore?: string;
    readonly truststore?: string;
    readonly keystorePassword?: SecretKeyRef;
    readonly truststorePassword?: SecretKeyRef;
    /** The stores' format when not PKCS#12 (the Otterize operator writes JKS). */
    readonly storeType?: "PKCS12" | "JKS";
}

/**
 * An identity's files in spin-<svc>-tls, the layout both backends write; for
 * Java, its PKCS#12 stores and where their passwords are.
 */
export function tlsMaterial(name: string, format: SecretFormat, passwords: { keystore: SecretKeyRef; truststore: SecretKeyRef }, secretName = serviceSecretName(name), trustSecret?: string): TlsMaterial {
    const pem = { secret: secretName, certificate: SECRET_KEY.certificate, privateKey: SECRET_KEY.privateKey, caCertificate: SECRET_KEY.caCertificate, ...(trustSecret ? { trustSecret } : {}) };
    if (format !== "pkcs12") return pem;
    return { ...pem, keystore: SECRET_KEY.keystore, truststore: SECRET_KEY.truststore, keystorePassword: passwords.keystore, truststorePassword: passwords.truststore };
}

/** The PKI's own Secrets (certificateBackend pulumi): the passwords sit beside the stores in spin-<svc>-tls. */
export function pulumiTlsMaterial(name: string, format: SecretFormat, secret = serviceSecretName(name)): TlsMaterial {
    return tlsMaterial(name, format, { keystore: { secret, key: SECRET_KEY.keystorePassword }, truststore: { secret, key: SECRET_KEY.truststorePassword } }, secret);
}

/** The Secret a material's trust files (ca.crt, truststore.p12) are read from. */
export const trustSecretOf = (t: TlsMaterial): string => t.trustSecret ?? t.secret;

/** What either backend hands the rest of the program for one identity: a component others can depend on. */
export interface IssuedIdentity extends pulumi.ComponentResource {
    readonly material: TlsMaterial;
    readonly secretName: pulumi.Output<string>;
    /** A digest that changes when what a pod reads at start does: pod-template annotations carry it. */
    readonly checksum: pulumi.Output<string>;
    readonly dnsNames: pulumi.Output<string[]>;
    /** Secret; Java identities only. */
    readonly keystorePassword?: pulumi.Output<string>;
    readonly truststorePassword?: pulumi.Output<string>;
    /** Known to the program only when it issued the certificate itself (backend pulumi). */
    readonly notAfter?: pulumi.Output<string>;
    /**
     * Annotations the identity's pods must carry for it to be issued at all
     * (backend otterize); may hold a secret (the operator's JKS password).
     */
    readonly podAnnotations?: pulumi.Output<Record<string, string>>;
}
