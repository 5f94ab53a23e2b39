// Where a service's TLS material lives, whichever backend issued it: which
// Secret, which keys, and where the keystore passwords are. The settings
// builder refers to material only through this, so the Spinnaker patch works
// the same over certificates from Pulumi or from cert-manager.
import { SECRET_KEY, SecretFormat, serviceSecretName } from "../pki/secretLayout";

export interface SecretKeyRef {
    readonly secret: string;
    readonly key: string;
}

export interface TlsMaterial {
    /** The Secret holding the certificate files. */
    readonly secret: string;
    readonly certificate: string;
    readonly privateKey: string;
    readonly caCertificate: string;
    /** PKCS#12 stores, for Java services. */
    readonly keystore?: string;
    readonly truststore?: string;
    readonly keystorePassword?: SecretKeyRef;
    readonly truststorePassword?: SecretKeyRef;
}

/** The PKI's own Secrets (certificateBackend pulumi): everything in spin-<svc>-tls. */
export function pulumiTlsMaterial(name: string, format: SecretFormat): TlsMaterial {
    const secret = serviceSecretName(name);
    const pem = { secret, certificate: SECRET_KEY.certificate, privateKey: SECRET_KEY.privateKey, caCertificate: SECRET_KEY.caCertificate };
    if (format !== "pkcs12") return pem;
    return {
        ...pem,
        keystore: SECRET_KEY.keystore,
        truststore: SECRET_KEY.truststore,
        keystorePassword: { secret, key: SECRET_KEY.keystorePassword },
        truststorePassword: { secret, key: SECRET_KEY.truststorePassword },
    };
}
