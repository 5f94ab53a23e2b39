// The cert-manager part of the stack config: which backend issues the
// service certificates, where cert-manager keeps its cluster resources, and
// whether this program installs it.
import { ConfigReader, fq } from "./reader";

export type CertificateBackend = "pulumi" | "cert-manager" | "otterize";
export const CERTIFICATE_BACKENDS: readonly CertificateBackend[] = ["pulumi", "cert-manager", "otterize"];

/**
 * Where the Otterize credentials operator gets its certificates (its Helm
 * value global.certificateProvider). It decides the key the workloads get:
 * cert-manager's default (RSA 2048, PKCS#1) through a cert-manager
 * Certificate the operator creates, or an EC P-256 key in PKCS#8 that the
 * operator itself generates for SPIRE (and Otterize Cloud, whose key type no
 * annotation sets).
 */
export type OtterizeProvider = "cert-manager" | "spire" | "otterize-cloud";
export const OTTERIZE_PROVIDERS: readonly OtterizeProvider[] = ["cert-manager", "spire", "otterize-cloud"];

/** The operator's cert-ttl annotation is an int32 count of seconds. */
export const MAX_OTTERIZE_TTL_HOURS = Math.floor(2147483647 / 3600);

export interface OtterizeConfig {
    readonly provider: OtterizeProvider;
    /** Each workload certificate's lifetime (the cert-ttl annotation, in seconds there). */
    readonly certTtlHours: number;
}

/** keystores.pkcs12.profile (Modern2023) arrived in cert-manager 1.14. */
export const MIN_CERT_MANAGER = [1, 14] as const;

export interface CertManagerConfig {
    /** pulumi: the program's own PKI (any cluster). cert-manager: Certificates that renew themselves. */
    readonly backend: CertificateBackend;
    /** Where certManagerInstall installs cert-manager; the program's own issuers are namespaced and live elsewhere. */
    readonly namespace: string;
    readonly install: boolean;
    /** The Helm chart version installed when `install` is on. */
    readonly version: string;
    /** Leave the program's TLS Secrets in place when Pulumi stops managing them (the switch to cert-manager). */
    readonly tlsSecretHandover: boolean;
    /** backend otterize: what the credentials operator is installed with. */
    readonly otterize: OtterizeConfig;
}

export function readCertManagerConfig(r: ConfigReader): CertManagerConfig | undefined {
    const before = r.problems.length;
    const backend = r.oneOf<CertificateBackend>("certificateBackend", CERTIFICATE_BACKENDS);
    const namespace = r.dnsLabel("certManagerNamespace", "namespace");
    const install = r.bool("certManagerInstall");
    const tlsSecretHandover = r.bool("tlsSecretHandover");
    const version = r.get("certManagerVersion");
    if (version !== undefined) {
        const m = /^v([0-9]+)\.([0-9]+)\.([0-9]+)$/.exec(version);
        if (!m) {
            r.bad("certManagerVersion", version, 'allowed: a cert-manager release such as "v1.16.2"');
        } else if (Number(m[1]) < MIN_CERT_MANAGER[0] || (Number(m[1]) === MIN_CERT_MANAGER[0] && Number(m[2]) < MIN_CERT_MANAGER[1])) {
            r.problem(
                `${fq("certManagerVersion")} is "${version}", older than v${MIN_CERT_MANAGER.join(".")}; cert-manager writes Java keystores in the Modern2023 profile (readable by OpenSSL 3 and Java 20+) only from v1.14 on`,
            );
        }
    }
    const provider = r.oneOf<OtterizeProvider>("otterizeCertificateProvider", OTTERIZE_PROVIDERS);
    const certTtlHours = r.int("otterizeCertTtlHours", 1, MAX_OTTERIZE_TTL_HOURS, "hours");
    if (r.problems.length > before) return undefined;
    return {
        backend: backend!,
        namespace: namespace!,
        install: install!,
        version: version!,
        tlsSecretHandover: tlsSecretHandover!,
        otterize: { provider: provider!, certTtlHours: certTtlHours! },
    };
}
