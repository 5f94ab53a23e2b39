// What the Otterize credentials operator reads from a pod, and where it writes
// what it issues: pure. The keys are the operator's current ones
// (credentials-operator.otterize.com/*, src/operator/controllers/metadata in
// otterize/credentials-operator); it still honours the older
// spire-integration.otterize.com/* names, which this program never writes.
import type { OtterizeProvider } from "../config/certManagerConfig";
import { KEYSTORE_PASSWORD_KEY, keystorePasswordSecretName } from "../certmanager/certificateSpec";
import { SECRET_KEY, SecretFormat, serviceSecretName } from "../pki/secretLayout";
import { TlsMaterial, tlsMaterial } from "../pki/tlsMaterial";

const PREFIX = "credentials-operator.otterize.com";

/** The annotation keys this program sets (the operator's names). */
export const OTTERIZE_ANNOTATION = {
    tlsSecretName: `${PREFIX}/tls-secret-name`,
    dnsNames: `${PREFIX}/dns-names`,
    certTtl: `${PREFIX}/cert-ttl`,
    certType: `${PREFIX}/cert-type`,
    certFileName: `${PREFIX}/cert-file-name`,
    keyFileName: `${PREFIX}/key-file-name`,
    caFileName: `${PREFIX}/ca-file-name`,
    keystoreFileName: `${PREFIX}/keystore-file-name`,
    truststoreFileName: `${PREFIX}/truststore-file-name`,
    jksPassword: `${PREFIX}/jks-password`,
} as const;

/** The password the operator uses when a pod names none; well known, so never acceptable. */
export const OTTERIZE_DEFAULT_JKS_PASSWORD = "password";

/**
 * The Secret's file names. With the cert-manager provider the operator forces
 * cert-manager's own (tls.crt, tls.key, ca.crt, keystore.jks, truststore.jks);
 * for SPIRE and Otterize Cloud the program asks for the same names, so one
 * layout holds for every provider and matches the other backends' PEM keys.
 */
export const OTTERIZE_FILES = {
    certificate: SECRET_KEY.certificate,
    privateKey: SECRET_KEY.privateKey,
    caCertificate: SECRET_KEY.caCertificate,
    keystore: "keystore.jks",
    truststore: "truststore.jks",
} as const;

/**
 * Our Secret holding a Java identity's keystore password, for Spinnaker's
 * Secret references (the annotation is a literal): the cert-manager backend's
 * name and key, so that a switch between the two keeps the references.
 */
export const otterizePasswordSecretName = keystorePasswordSecretName;
export const OTTERIZE_PASSWORD_KEY = KEYSTORE_PASSWORD_KEY;

/**
 * An identity's files as the operator writes them. Java identities get JKS
 * stores (the operator's only keystore form) with one password for both; the
 * PEM files sit beside them only with the cert-manager provider (with SPIRE
 * and Otterize Cloud a jks Secret holds the two stores alone).
 */
export function otterizeTlsMaterial(name: string, format: SecretFormat): TlsMaterial {
    const password = { secret: otterizePasswordSecretName(name), key: OTTERIZE_PASSWORD_KEY };
    const base = tlsMaterial(name, format, { keystore: password, truststore: password });
    if (format !== "pkcs12") return base;
    return { ...base, keystore: OTTERIZE_FILES.keystore, truststore: OTTERIZE_FILES.truststore, storeType: "JKS" };
}

export interface CredentialAnnotationsInput {
    readonly name: string;
    readonly format: SecretFormat;
    readonly dnsNames: readonly string[];
    readonly ttlHours: number;
}

/**
 * The pod annotations that make the operator issue an identity's credentials
 * into spin-<name>-tls, without the JKS password (a secret, added by the
 * component). Every value is spelled out rather than left to the operator's
 * defaults, so the Secret layout does not depend on its version.
 */
export function credentialAnnotations(input: CredentialAnnotationsInput): Record<string, string> {
    const a = OTTERIZE_ANNOTATION;
    const out: Record<string, string> = {
        [a.tlsSecretName]: serviceSecretName(input.name),
        [a.dnsNames]: input.dnsNames.join(","),
        [a.certTtl]: String(input.ttlHours * 3600),
        [a.certType]: input.format === "pkcs12" ? "jks" : "pem",
    };
    if (input.format === "pkcs12") {
        out[a.keystoreFileName] = OTTERIZE_FILES.keystore;
        out[a.truststoreFileName] = OTTERIZE_FILES.truststore;
    } else {
        out[a.certFileName] = OTTERIZE_FILES.certificate;
        out[a.keyFileName] = OTTERIZE_FILES.privateKey;
        out[a.caFileName] = OTTERIZE_FILES.caCertificate;
    }
    return Object.fromEntries(Object.entries(out).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}

/**
 * The operator's Helm values this stack expects (a stack output, so that the
 * operator's installation can be checked against it). With cert-manager the
 * operator must sign through this program's CA Issuer, or the services would
 * not trust each other's certificates. That Issuer is namespaced: the operator
 * requests each pod's Certificate in the pod's namespace, Spinnaker's
 * (credentials-operator's --cert-manager-use-cluster-issuer is false by default).
 */
export function operatorValues(provider: OtterizeProvider, caIssuer: string): Record<string, unknown> {
    return provider === "cert-manager"
        ? { global: { certificateProvider: provider }, certManager: { issuerName: caIssuer, useClusterIssuer: false } }
        : { global: { certificateProvider: provider } };
}
