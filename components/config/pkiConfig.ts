// The PKI part of the stack config: namespace, services, keys, lifetimes,
// client auth and an optional imported CA.
import * as crypto from "crypto";
import { SERVICE_CATALOG, SERVICE_NAMES, ServiceName, isServiceName } from "../../lib/catalog/serviceCatalog";
import { basicConstraints, keyUsages } from "../../lib/asn1/derReader";
import { pemBlocks } from "../pki/caChain";
import { ConfigReader, DEFERRED_SECRET, fq, isDnsName } from "./reader";

export type KeyAlgorithm = "ECDSA" | "RSA";
export type EcdsaCurve = "P256" | "P384";
export type ClientAuth = "want" | "need";

export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ["ECDSA", "RSA"];
export const ECDSA_CURVES: readonly EcdsaCurve[] = ["P256", "P384"];
export const RSA_BITS: readonly number[] = [2048, 3072, 4096];
/** rsaBits' default in Pulumi.yaml (a test holds them equal). */
export const RSA_BITS_DEFAULT = 3072;
export const CLIENT_AUTH_MODES: readonly ClientAuth[] = ["want", "need"];
/** A CA rotation's phases, in the order they must be taken (docs/ca-rotation.md). */
export type CaRotationPhase = "none" | "trust-both" | "issue-next" | "trust-next";
export const CA_ROTATION_PHASES: readonly CaRotationPhase[] = ["none", "trust-both", "issue-next", "trust-next"];

export interface KeySpec {
    readonly algorithm: KeyAlgorithm;
    /** Set when algorithm is ECDSA. */
    readonly ecdsaCurve?: EcdsaCurve;
    /** Set when algorithm is RSA. */
    readonly rsaBits?: number;
}

export interface ImportedCa {
    readonly certPem: string;
    /** Plaintext only in memory; the program wraps it in a Pulumi secret at once. */
    readonly keyPem: string;
}

export interface PkiConfig {
    readonly namespace: string;
    readonly services: readonly ServiceName[];
    readonly key: KeySpec;
    /** The size of every RSA key: the stack's key when it is RSA, and always the Go services' keys. */
    readonly rsaBits: number;
    readonly caValidityHours: number;
    readonly certValidityHours: number;
    readonly renewBeforeHours: number;
    readonly clientAuth: ClientAuth;
    readonly organization: string;
    /** Extra DNS SANs per service, on top of the in-cluster names. */
    readonly extraSans: Readonly<Partial<Record<ServiceName, readonly string[]>>>;
    readonly importedCa?: ImportedCa;
    /** The CA rotation's phase; none outside a rotation. */
    readonly caRotation: CaRotationPhase;
    /** Which generated CA is current: its resources' names carry it, so the next one can exist beside it. */
    readonly caGeneration: number;
    /** During a rotation, the next CA when imported; otherwise the next CA is generated (generation caGeneration + 1). */
    readonly nextImportedCa?: ImportedCa;
    /** CA certificates (PEM) the Java services' JVM-wide trust store holds besides the Spinnaker CA and the public roots. */
    readonly jvmExtraCaCertsPem?: string;
}

/**
 * The enabled services, without duplicates; undefined when the key itself is
 * unreadable. Read once, before every area that depends on it.
 */
export function readServices(r: ConfigReader): ServiceName[] | undefined {
    const services: ServiceName[] = [];
    const serviceList = r.stringList("services");
    if (serviceList === undefined) return undefined;
    if (serviceList.length === 0) r.bad("services", JSON.stringify(serviceList), `allowed: one or more of ${SERVICE_NAMES.join(", ")}`);
    for (const name of serviceList) {
        if (!isServiceName(name)) {
            r.problem(`${fq("services")} names unknown service ${JSON.stringify(name)}; allowed: ${SERVICE_NAMES.join(", ")}`);
        } else if (services.includes(name)) {
            r.problem(`${fq("services")} names ${JSON.stringify(name)} twice`);
        } else {
            services.push(name);
        }
    }
    return services;
}

/** Reads the PKI keys; undefined when any of them is wrong (the reader holds the problems). */
export function readPkiConfig(r: ConfigReader, services: readonly ServiceName[] | undefined, now: Date): PkiConfig | undefined {
    const before = r.problems.length;
    const namespace = r.dnsLabel("namespace", "namespace");

    const algorithm = r.oneOf<KeyAlgorithm>("keyAlgorithm", KEY_ALGORITHMS);
    const ecdsaCurve = r.oneOf<EcdsaCurve>("ecdsaCurve", ECDSA_CURVES);
    const rsaBitsRaw = r.get("rsaBits");
    let rsaBits: number | undefined;
    if (rsaBitsRaw !== undefined) {
        const n = Number(rsaBitsRaw);
        if (!/^[0-9]+$/.test(rsaBitsRaw.trim())) {
            r.bad("rsaBits", rsaBitsRaw, `allowed: ${RSA_BITS.join(", ")}`);
        } else if (n < 2048) {
            r.bad("rsaBits", rsaBitsRaw, `RSA keys below 2048 bits are refused; allowed: ${RSA_BITS.join(", ")}`);
        } else if (!RSA_BITS.includes(n)) {
            r.bad("rsaBits", rsaBitsRaw, `allowed: ${RSA_BITS.join(", ")}`);
        } else {
            rsaBits = n;
        }
    }

    // rsaBits sizes every key only under RSA; under ECDSA only the Go services' (RSA-only) keys. Set away from
    // Pulumi.yaml's default with neither, it would size no key at all: a mistake to say, not to ignore.
    const goServices = (services ?? []).filter((s) => SERVICE_CATALOG[s].runtime === "go");
    if (algorithm === "ECDSA" && rsaBits !== undefined && rsaBits !== RSA_BITS_DEFAULT && services !== undefined && goServices.length === 0) {
        r.bad("rsaBits", rsaBitsRaw!, `it sizes RSA keys, and with ${fq("keyAlgorithm")} ECDSA and no Go service (dinghy, terraformer) enabled no key is RSA: remove it, or set keyAlgorithm RSA`);
    }

    const hours = (key: string) => r.int(key, 1, Number.MAX_SAFE_INTEGER, "hours");
    const caValidityHours = hours("caValidityHours");
    const certValidityHours = hours("certValidityHours");
    const renewBeforeHours = hours("renewBeforeHours");
    if (certValidityHours !== undefined && renewBeforeHours !== undefined && renewBeforeHours >= certValidityHours) {
        r.problem(
            `${fq("renewBeforeHours")} is ${renewBeforeHours}, not shorter than ${fq("certValidityHours")} ${certValidityHours}; ` +
                "the renewal window must be shorter than the certificate's validity, or every run re-issues it",
        );
    }
    if (certValidityHours !== undefined && caValidityHours !== undefined && certValidityHours > caValidityHours) {
        r.problem(
            `${fq("certValidityHours")} is ${certValidityHours}, longer than ${fq("caValidityHours")} ${caValidityHours}; ` +
                "a service certificate cannot outlive the CA that signs it",
        );
    }

    const clientAuth = r.oneOf<ClientAuth>("clientAuth", CLIENT_AUTH_MODES);

    const organization = r.get("organization");
    if (organization !== undefined && (organization.trim().length === 0 || organization.length > 64)) {
        r.bad("organization", organization, "allowed: 1 to 64 characters (the certificates' O= field)");
    }

    const extraSans: Partial<Record<ServiceName, string[]>> = {};
    for (const entry of r.stringList("extraSans") ?? []) {
        const m = /^([a-z0-9]+):(.+)$/.exec(entry);
        if (!m) {
            r.problem(`${fq("extraSans")} entry ${JSON.stringify(entry)} is not "<service>:<dns name>"`);
            continue;
        }
        const [, svc, dnsName] = m;
        if (!isServiceName(svc) || (services !== undefined && !services.includes(svc))) {
            r.problem(`${fq("extraSans")} entry ${JSON.stringify(entry)} names ${JSON.stringify(svc)}, which is not an enabled service; enabled: ${(services ?? []).join(", ")}`);
            continue;
        }
        if (!isDnsName(dnsName)) {
            r.problem(`${fq("extraSans")} entry ${JSON.stringify(entry)} has an invalid DNS name; allowed: lower-case DNS names, no wildcards`);
            continue;
        }
        const list = (extraSans[svc] ??= []);
        if (!list.includes(dnsName)) list.push(dnsName);
    }

    const importedCa = readImportedCa(r, CURRENT_CA_KEYS, now, certValidityHours);
    const caRotation = r.oneOf<CaRotationPhase>("caRotation", CA_ROTATION_PHASES);
    const caGeneration = r.int("caGeneration", 1, 1_000_000, "generation");
    const nextImportedCa = readImportedCa(r, NEXT_CA_KEYS, now, certValidityHours);
    if (caRotation === "none" && (r.optional("caNextCertPem") !== undefined || r.optional("caNextKeyPem") !== undefined)) {
        r.problem(
            `${fq("caNextCertPem")} and ${fq("caNextKeyPem")} are set but ${fq("caRotation")} is "none": they name the next CA during a rotation only; ` +
                'start one with caRotation "trust-both", or, to finish one, move them to caCertPem and caKeyPem and unset them (docs/ca-rotation.md)',
        );
    }
    const caCertPem = r.optional("caCertPem");
    const caNextCertPem = r.optional("caNextCertPem");
    if (caCertPem !== undefined && caNextCertPem !== undefined && sameFirstCertificate(caCertPem, caNextCertPem)) {
        r.problem(`${fq("caNextCertPem")} is the same CA as ${fq("caCertPem")}; the next CA must be a new one (with its own key), or unset it to have the program generate one`);
    }

    const jvmExtraCaCertsPem = r.optional("jvmExtraCaCertsPem");
    if (jvmExtraCaCertsPem !== undefined) checkCaBundle("jvmExtraCaCertsPem", jvmExtraCaCertsPem, r);

    if (r.problems.length > before || services === undefined) return undefined;
    return {
        namespace: namespace!,
        services,
        key: algorithm === "RSA" ? { algorithm, rsaBits: rsaBits! } : { algorithm: algorithm!, ecdsaCurve: ecdsaCurve! },
        rsaBits: rsaBits!,
        caValidityHours: caValidityHours!,
        certValidityHours: certValidityHours!,
        renewBeforeHours: renewBeforeHours!,
        clientAuth: clientAuth!,
        organization: organization!,
        extraSans,
        ...(importedCa ? { importedCa } : {}),
        caRotation: caRotation!,
        caGeneration: caGeneration!,
        ...(nextImportedCa ? { nextImportedCa } : {}),
        ...(jvmExtraCaCertsPem ? { jvmExtraCaCertsPem } : {}),
    };
}

/** The config keys of an imported CA: the current one, or a rotation's next one. */
export interface CaKeys {
    readonly cert: "caCertPem" | "caNextCertPem";
    readonly key: "caKeyPem" | "caNextKeyPem";
}
export const CURRENT_CA_KEYS: CaKeys = { cert: "caCertPem", key: "caKeyPem" };
export const NEXT_CA_KEYS: CaKeys = { cert: "caNextCertPem", key: "caNextKeyPem" };

/** An imported CA from its two keys, vetted; undefined when unset or refused (the reader holds the problems). */
function readImportedCa(r: ConfigReader, keys: CaKeys, now: Date, certValidityHours: number | undefined): ImportedCa | undefined {
    const certPem = r.optional(keys.cert);
    const keyPem = r.optional(keys.key);
    if ((certPem === undefined) !== (keyPem === undefined)) {
        r.problem(
            keys === CURRENT_CA_KEYS
                ? `${fq("caCertPem")} and ${fq("caKeyPem")} go together: set both to import an existing CA, or neither to create one`
                : `${fq("caNextCertPem")} and ${fq("caNextKeyPem")} go together: set both to import the next CA, or neither to have the program generate it`,
        );
        return undefined;
    }
    if (certPem === undefined || keyPem === undefined) return undefined;
    const problems = checkImportedCa(certPem, keyPem, now, certValidityHours, keys);
    problems.forEach((p) => r.problem(p));
    return problems.length === 0 ? { certPem, keyPem } : undefined;
}

/** Whether two PEM bundles start with the same certificate (the CA that signs). Unparsable ones are judged elsewhere. */
function sameFirstCertificate(a: string, b: string): boolean {
    try {
        return new crypto.X509Certificate(pemBlocks(a)[0] ?? "").fingerprint256 === new crypto.X509Certificate(pemBlocks(b)[0] ?? "").fingerprint256;
    } catch {
        return false;
    }
}

/** A PEM bundle of one or more CA certificates, every one a CA. */
export function checkCaBundle(key: string, pem: string, r: ConfigReader): void {
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    if (blocks.length === 0) {
        r.problem(`${fq(key)} holds no PEM certificate; allowed: one or more PEM "CERTIFICATE" blocks of CA certificates`);
        return;
    }
    for (const [i, block] of blocks.entries()) {
        let cert: crypto.X509Certificate;
        try {
            cert = new crypto.X509Certificate(block);
        } catch {
            r.problem(`${fq(key)} certificate ${i + 1} is not a valid X.509 certificate`);
            continue;
        }
        if (!cert.ca) r.problem(`${fq(key)} certificate ${i + 1} (subject ${JSON.stringify(cert.subject)}) is not a CA certificate (basicConstraints CA:TRUE is required)`);
    }
}

/**
 * An imported CA must be a CA, match its key, and outlive the certificates it
 * will sign. It may be an intermediate given with its chain: the CA that signs
 * the leaves first, then each issuer in turn, ending with the self-signed root
 * (components/pki/caChain.ts says what each consumer gets of it).
 */
function checkImportedCa(certPem: string, keyPem: string, now: Date, certValidityHours: number | undefined, keys: CaKeys = CURRENT_CA_KEYS): string[] {
    // Before anything else, and without showing it: caCertPem is public (a stack output, every trust store).
    if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(certPem)) {
        return [
            `${fq(keys.cert)} holds a private key (value hidden); it is public config that goes into the stack outputs and every trust store: ` +
                `give it the CA's certificate alone, and the key only in ${fq(keys.key)}, as a secret (pulumi config set --secret ${keys.key} < ca.key)`,
        ];
    }
    const blocks = pemBlocks(certPem);
    if (blocks.length === 0) return [`${fq(keys.cert)} is not a PEM certificate; allowed: one PEM "CERTIFICATE" block, or a CA's chain up to its root`];
    const certs: crypto.X509Certificate[] = [];
    for (const [i, block] of blocks.entries()) {
        try {
            certs.push(new crypto.X509Certificate(block));
        } catch {
            return [blocks.length === 1 ? `${fq(keys.cert)} is not a PEM certificate; allowed: one PEM "CERTIFICATE" block` : `${fq(keys.cert)} certificate ${i + 1} is not a valid X.509 certificate`];
        }
    }
    const chained = certs.length > 1;
    // How messages name a certificate: the key alone for one, its place and subject in a chain.
    const label = (i: number): string => (chained ? `${fq(keys.cert)} certificate ${i + 1} (subject ${JSON.stringify(certs[i].subject)})` : fq(keys.cert));
    const problems: string[] = [];
    const needed = new Date(now.getTime() + (certValidityHours ?? 0) * 3600_000);
    for (const [i, cert] of certs.entries()) {
        // basicConstraints read from the DER: Node's `ca` is also false for a CA without keyCertSign, judged below on its own.
        if (!basicConstraints(cert.raw)?.ca) {
            problems.push(chained ? `${label(i)} is not a CA certificate (basicConstraints CA:TRUE is required)` : `${fq(keys.cert)} has subject ${JSON.stringify(cert.subject)} and is not a CA certificate (basicConstraints CA:TRUE is required)`);
        }
        const usages = keyUsages(cert.raw);
        if (usages !== undefined && !usages.includes("keyCertSign")) {
            problems.push(`${label(i)} has key usage ${usages.join(", ") || "(none)"} without keyCertSign, so no client or server accepts a certificate it signs; allowed: a CA certificate whose key usage includes keyCertSign`);
        }
        const weak = weakCaKey(cert.publicKey);
        if (weak) problems.push(`${label(i)} has ${weak}, weaker than the services' own keys may be; allowed: RSA 2048 bits or more, or ECDSA P-256 or P-384`);
        const notAfter = new Date(cert.validTo);
        if (notAfter <= now) {
            // Nothing this stack sets can help a CA that has already expired.
            problems.push(`${label(i)} expired ${notAfter.toISOString()}; no certificate it signs is valid: renew or replace the CA, and set ${keys.cert} and ${keys.key} to the new one`);
        } else if (notAfter < needed) {
            problems.push(
                `${label(i)} expires ${notAfter.toISOString()}, before certificates issued now would (${needed.toISOString()}, ${fq("certValidityHours")} ${certValidityHours} from now); ` +
                    "renew the CA, or shorten certValidityHours to end before it does",
            );
        }
    }
    if (chained) {
        for (let i = 0; i + 1 < certs.length; i++) {
            if (!certs[i].checkIssued(certs[i + 1]) || !certs[i].verify(certs[i + 1].publicKey)) {
                problems.push(
                    `${label(i + 1)} did not issue certificate ${i + 1} (subject ${JSON.stringify(certs[i].subject)}); allowed: the CA that signs the services' certificates first, then its issuer, and so on up to the self-signed root`,
                );
            }
        }
        const last = certs.length - 1;
        if (!certs[last].checkIssued(certs[last]) || !certs[last].verify(certs[last].publicKey)) {
            problems.push(`${label(last)} ends the chain but is not self-signed; end it with the root: every trust store holds the root, and OpenSSL (Redis, redis-cli) accepts no other trust anchor`);
        }
        // A CA's pathLenConstraint counts the intermediate CAs that may follow it: here, those before it in the bundle.
        for (let j = 1; j < certs.length; j++) {
            const pathLen = basicConstraints(certs[j].raw)?.pathLen;
            if (pathLen !== undefined && pathLen < j) {
                problems.push(`${label(j)} has pathLenConstraint ${pathLen}, which allows ${pathLen} intermediate CA${pathLen === 1 ? "" : "s"} below it, and this chain puts ${j} there, so no peer accepts the services' certificates`);
            }
        }
    }
    // A key that is still a Pulumi Output is checked when it resolves (importedCaKeyProblems).
    if (keyPem !== DEFERRED_SECRET) problems.push(...importedCaKeyProblems(certPem, keyPem, keys));
    return problems;
}

/** What is too weak about a CA's key, or undefined: RSA under 2048 bits, an EC curve below P-256 (the leaves' minimum). */
function weakCaKey(key: crypto.KeyObject): string | undefined {
    const d = key.asymmetricKeyDetails ?? {};
    if (key.asymmetricKeyType === "rsa" || key.asymmetricKeyType === "rsa-pss") return (d.modulusLength ?? 0) < 2048 ? `an RSA key of ${d.modulusLength} bits` : undefined;
    if (key.asymmetricKeyType === "ec") return ["prime256v1", "secp384r1", "secp521r1"].includes(d.namedCurve ?? "") ? undefined : `an EC key on curve ${d.namedCurve}`;
    return undefined;
}

/** The checks of an imported CA that need its private key: a PEM key, and the certificate's. */
export function importedCaKeyProblems(certPem: string, keyPem: string, keys: CaKeys = CURRENT_CA_KEYS): string[] {
    let key: crypto.KeyObject;
    try {
        key = crypto.createPrivateKey(keyPem);
    } catch {
        return [`${fq(keys.key)} is (secret value hidden) and is not a PEM private key; allowed: an unencrypted PEM RSA or EC private key`];
    }
    // The key is the signer's: the first certificate of a chain.
    return new crypto.X509Certificate(certPem).checkPrivateKey(key) ? [] : [`${fq(keys.key)} (secret value hidden) does not match the public key of ${fq(keys.cert)}${pemBlocks(certPem).length > 1 ? "'s first certificate (the CA that signs the services' certificates)" : ""}`];
}
