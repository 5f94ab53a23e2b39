// The whole stack configuration, read and validated in one place before any
// resource is registered. Defaults live in the `config:` schema of
// Pulumi.yaml (the CLI fills them in; the offline engine does the same), so
// this module treats every non-optional key as present.
import * as crypto from "crypto";
import { SERVICE_NAMES, ServiceName, isServiceName } from "../pki/serviceCatalog";

export const CONFIG_NAMESPACE = "spinnaker-mtls";

export type KeyAlgorithm = "ECDSA" | "RSA";
export type EcdsaCurve = "P256" | "P384";
export type ClientAuth = "want" | "need";

export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ["ECDSA", "RSA"];
export const ECDSA_CURVES: readonly EcdsaCurve[] = ["P256", "P384"];
export const RSA_BITS: readonly number[] = [2048, 3072, 4096];
export const CLIENT_AUTH_MODES: readonly ClientAuth[] = ["want", "need"];

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

export interface StackConfig {
    readonly namespace: string;
    readonly services: readonly ServiceName[];
    readonly key: KeySpec;
    readonly caValidityHours: number;
    readonly certValidityHours: number;
    readonly renewBeforeHours: number;
    readonly clientAuth: ClientAuth;
    readonly organization: string;
    /** Extra DNS SANs per service, on top of the in-cluster names. */
    readonly extraSans: Readonly<Partial<Record<ServiceName, readonly string[]>>>;
    readonly importedCa?: ImportedCa;
}

/** Every key this program reads, without the namespace. Pulumi.yaml declares the same set. */
export const CONFIG_KEYS = [
    "namespace",
    "services",
    "keyAlgorithm",
    "ecdsaCurve",
    "rsaBits",
    "caValidityHours",
    "certValidityHours",
    "renewBeforeHours",
    "clientAuth",
    "organization",
    "extraSans",
    "caCertPem",
    "caKeyPem",
] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];

/** Keys that may be absent (no default in Pulumi.yaml). */
const OPTIONAL_KEYS: readonly ConfigKey[] = ["caCertPem", "caKeyPem"];
/** Keys whose values never appear in an error message. */
const SECRET_KEYS: readonly ConfigKey[] = ["caKeyPem"];

/** Raw values as Pulumi stores them: strings, with arrays as JSON text. */
export type RawConfig = Readonly<Record<string, string | undefined>>;

export class StackConfigError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(`Invalid stack configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "StackConfigError";
    }
}

const fq = (key: string) => `${CONFIG_NAMESPACE}:${key}`;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Parses and validates raw stack config. Collects every problem and throws one
 * StackConfigError naming each key, its value and what is allowed.
 * `now` is used to check an imported CA's validity window.
 */
export function parseStackConfig(raw: RawConfig, now: Date = new Date()): StackConfig {
    const problems: string[] = [];
    const shown = (key: ConfigKey, value: string) => (SECRET_KEYS.includes(key) ? "(secret value hidden)" : JSON.stringify(value));
    const bad = (key: ConfigKey, value: string, allowed: string) => problems.push(`${fq(key)} is ${shown(key, value)}; ${allowed}`);

    const known = new Set<string>(CONFIG_KEYS.map(fq));
    for (const key of Object.keys(raw).sort()) {
        if (key.startsWith(`${CONFIG_NAMESPACE}:`) && !known.has(key)) {
            problems.push(`${key} is not a known key; known keys: ${CONFIG_KEYS.join(", ")}`);
        }
    }
    const get = (key: ConfigKey): string | undefined => {
        const value = raw[fq(key)];
        if (value === undefined && !OPTIONAL_KEYS.includes(key)) {
            problems.push(`${fq(key)} is missing; Pulumi.yaml declares its default, so the stack or the engine dropped it`);
        }
        return value;
    };
    const oneOf = <T extends string | number>(key: ConfigKey, allowed: readonly T[], parse: (s: string) => T | string = (s) => s): T | undefined => {
        const value = get(key);
        if (value === undefined) return undefined;
        const parsed = parse(value);
        if (!(allowed as readonly (string | number)[]).includes(parsed)) {
            bad(key, value, `allowed: ${allowed.join(", ")}`);
            return undefined;
        }
        return parsed as T;
    };
    const positiveInt = (key: ConfigKey): number | undefined => {
        const value = get(key);
        if (value === undefined) return undefined;
        if (!/^[0-9]+$/.test(value.trim()) || Number(value) <= 0) {
            bad(key, value, "allowed: a whole number of hours greater than 0");
            return undefined;
        }
        return Number(value);
    };
    const stringList = (key: ConfigKey): string[] | undefined => {
        const value = get(key);
        if (value === undefined) return undefined;
        try {
            const parsed: unknown = JSON.parse(value);
            if (Array.isArray(parsed) && parsed.every((s) => typeof s === "string")) return parsed as string[];
        } catch {
            // reported below
        }
        bad(key, value, "allowed: a list of strings");
        return undefined;
    };

    const namespace = get("namespace");
    if (namespace !== undefined && (namespace.length > 63 || !DNS_LABEL.test(namespace))) {
        bad("namespace", namespace, "allowed: a Kubernetes namespace name (lower-case letters, digits and '-', at most 63 characters)");
    }

    const services: ServiceName[] = [];
    const serviceList = stringList("services");
    if (serviceList !== undefined) {
        if (serviceList.length === 0) bad("services", JSON.stringify(serviceList), `allowed: one or more of ${SERVICE_NAMES.join(", ")}`);
        for (const name of serviceList) {
            if (!isServiceName(name)) {
                problems.push(`${fq("services")} names unknown service ${JSON.stringify(name)}; allowed: ${SERVICE_NAMES.join(", ")}`);
            } else if (services.includes(name)) {
                problems.push(`${fq("services")} names ${JSON.stringify(name)} twice`);
            } else {
                services.push(name);
            }
        }
    }

    const algorithm = oneOf<KeyAlgorithm>("keyAlgorithm", KEY_ALGORITHMS);
    const ecdsaCurve = oneOf<EcdsaCurve>("ecdsaCurve", ECDSA_CURVES);
    const rsaBitsRaw = get("rsaBits");
    let rsaBits: number | undefined;
    if (rsaBitsRaw !== undefined) {
        const n = Number(rsaBitsRaw);
        if (!/^[0-9]+$/.test(rsaBitsRaw.trim())) {
            bad("rsaBits", rsaBitsRaw, `allowed: ${RSA_BITS.join(", ")}`);
        } else if (n < 2048) {
            bad("rsaBits", rsaBitsRaw, `RSA keys below 2048 bits are refused; allowed: ${RSA_BITS.join(", ")}`);
        } else if (!RSA_BITS.includes(n)) {
            bad("rsaBits", rsaBitsRaw, `allowed: ${RSA_BITS.join(", ")}`);
        } else {
            rsaBits = n;
        }
    }

    const caValidityHours = positiveInt("caValidityHours");
    const certValidityHours = positiveInt("certValidityHours");
    const renewBeforeHours = positiveInt("renewBeforeHours");
    if (certValidityHours !== undefined && renewBeforeHours !== undefined && renewBeforeHours >= certValidityHours) {
        problems.push(
            `${fq("renewBeforeHours")} is ${renewBeforeHours}, not shorter than ${fq("certValidityHours")} ${certValidityHours}; ` +
                "the renewal window must be shorter than the certificate's validity, or every run re-issues it",
        );
    }
    if (certValidityHours !== undefined && caValidityHours !== undefined && certValidityHours > caValidityHours) {
        problems.push(
            `${fq("certValidityHours")} is ${certValidityHours}, longer than ${fq("caValidityHours")} ${caValidityHours}; ` +
                "a service certificate cannot outlive the CA that signs it",
        );
    }

    const clientAuth = oneOf<ClientAuth>("clientAuth", CLIENT_AUTH_MODES);

    const organization = get("organization");
    if (organization !== undefined && (organization.trim().length === 0 || organization.length > 64)) {
        bad("organization", organization, "allowed: 1 to 64 characters (the certificates' O= field)");
    }

    const extraSans: Partial<Record<ServiceName, string[]>> = {};
    for (const entry of stringList("extraSans") ?? []) {
        const m = /^([a-z0-9]+):(.+)$/.exec(entry);
        if (!m) {
            problems.push(`${fq("extraSans")} entry ${JSON.stringify(entry)} is not "<service>:<dns name>"`);
            continue;
        }
        const [, svc, dnsName] = m;
        if (!isServiceName(svc) || (serviceList !== undefined && !services.includes(svc))) {
            problems.push(`${fq("extraSans")} entry ${JSON.stringify(entry)} names ${JSON.stringify(svc)}, which is not an enabled service; enabled: ${services.join(", ")}`);
            continue;
        }
        if (!DNS_NAME.test(dnsName)) {
            problems.push(`${fq("extraSans")} entry ${JSON.stringify(entry)} has an invalid DNS name; allowed: lower-case DNS names, no wildcards`);
            continue;
        }
        const list = (extraSans[svc] ??= []);
        if (!list.includes(dnsName)) list.push(dnsName);
    }

    const caCertPem = get("caCertPem");
    const caKeyPem = get("caKeyPem");
    let importedCa: ImportedCa | undefined;
    if ((caCertPem === undefined) !== (caKeyPem === undefined)) {
        problems.push(`${fq("caCertPem")} and ${fq("caKeyPem")} go together: set both to import an existing CA, or neither to create one`);
    } else if (caCertPem !== undefined && caKeyPem !== undefined) {
        const caProblems = checkImportedCa(caCertPem, caKeyPem, now, certValidityHours);
        problems.push(...caProblems);
        if (caProblems.length === 0) importedCa = { certPem: caCertPem, keyPem: caKeyPem };
    }

    if (problems.length > 0) throw new StackConfigError(problems);
    return {
        namespace: namespace!,
        services,
        key: algorithm === "RSA" ? { algorithm, rsaBits: rsaBits! } : { algorithm: algorithm!, ecdsaCurve: ecdsaCurve! },
        caValidityHours: caValidityHours!,
        certValidityHours: certValidityHours!,
        renewBeforeHours: renewBeforeHours!,
        clientAuth: clientAuth!,
        organization: organization!,
        extraSans,
        ...(importedCa ? { importedCa } : {}),
    };
}

/** An imported CA must be a CA, match its key, and outlive the certificates it will sign. */
function checkImportedCa(certPem: string, keyPem: string, now: Date, certValidityHours: number | undefined): string[] {
    let cert: crypto.X509Certificate;
    let key: crypto.KeyObject;
    try {
        cert = new crypto.X509Certificate(certPem);
    } catch {
        return [`${fq("caCertPem")} is not a PEM certificate; allowed: one PEM "CERTIFICATE" block`];
    }
    try {
        key = crypto.createPrivateKey(keyPem);
    } catch {
        return [`${fq("caKeyPem")} is (secret value hidden) and is not a PEM private key; allowed: an unencrypted PEM RSA or EC private key`];
    }
    const problems: string[] = [];
    if (!cert.ca) problems.push(`${fq("caCertPem")} has subject ${JSON.stringify(cert.subject)} and is not a CA certificate (basicConstraints CA:TRUE is required)`);
    if (!cert.checkPrivateKey(key)) problems.push(`${fq("caKeyPem")} (secret value hidden) does not match the public key of ${fq("caCertPem")}`);
    const notAfter = new Date(cert.validTo);
    const needed = new Date(now.getTime() + (certValidityHours ?? 0) * 3600_000);
    if (notAfter < needed) {
        problems.push(`${fq("caCertPem")} expires ${notAfter.toISOString()}, before certificates issued now would (${needed.toISOString()}); renew the CA or shorten certValidityHours`);
    }
    return problems;
}
