// The differential test's comparison (issue 12): the same stack, under the
// same config, run by the offline engine (engine/run.ts) and by the real
// Pulumi CLI (its `stack export --show-secrets`), brought to one shape and
// compared resource by resource, field by field.
//
// Values random by nature cannot agree between two runs of anything: keys,
// certificates, passwords, serials, timestamps and the checksums taken over
// them. They are recognised by WHAT THEY ARE (a PEM block, a RandomPassword
// result of the same run, base64 that decodes to either, a binary keystore, an
// RFC 3339 time, a digest) and replaced by a placeholder naming their kind, so
// that the text around them (a config file holding a password, a Secret's
// data) is still compared. The differences that are not randomness are listed
// below, each with its reason; anything else fails the test with the
// resource's URN and the field's path.
import * as crypto from "crypto";
import { RecordedResource } from "../../../engine/monitor";
import { SECRET_SIG, SECRET_SIG_KEY } from "../../../engine/secrets";

type Json = unknown;
type Obj = Record<string, unknown>;

/** One resource in the shape both sides are compared in. Secret values are wrapped as {[SECRET]: value}. */
export interface Resource {
    urn: string;
    type: string;
    name: string;
    parent?: string;
    /** The provider's URN, or `default <package>` for the engine's default provider of the package. */
    provider?: string;
    custom: boolean;
    inputs: Obj;
    outputs: Obj;
}

/** How a secret is shown in the normalized values (so a secret and a public value never compare equal). */
export const SECRET = "<secret>";

const isMarker = (v: unknown): v is Obj => typeof v === "object" && v !== null && (v as Obj)[SECRET_SIG_KEY] === SECRET_SIG;

/** Secret markers (offline: {sig, value}; export: {sig, plaintext}) as {[SECRET]: value}. */
function normalizeSecrets(v: unknown): Json {
    if (isMarker(v)) {
        const inner = "value" in v ? v.value : typeof v.plaintext === "string" ? JSON.parse(v.plaintext) : "<ciphertext>";
        return { [SECRET]: normalizeSecrets(inner) };
    }
    if (Array.isArray(v)) return v.map(normalizeSecrets);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, normalizeSecrets(x)]));
    return v;
}

const nameOf = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);
const packageOf = (type: string) => type.split(":")[0];

/**
 * A provider reference (`<urn>::<id>`) as its URN; the engine's default
 * providers (name `default` or `default_<version>`) as `default <package>`:
 * their ids are the engine's own (a UUID), and see DEFAULT_PROVIDERS.
 */
function normalizeProvider(ref: string | undefined, type: string, custom: boolean): string | undefined {
    if (!ref) return custom && !type.startsWith("pulumi:providers:") ? `default ${packageOf(type)}` : undefined;
    const urn = ref.slice(0, ref.lastIndexOf("::"));
    const name = nameOf(urn);
    if (name === "default" || name.startsWith("default_")) return `default ${urn.split("::")[2].replace("pulumi:providers:", "")}`;
    return urn;
}

/** The engine's default provider resources: recorded by the real engine, never by the offline one. */
export const isDefaultProvider = (r: { type: string; urn: string }) => r.type.startsWith("pulumi:providers:") && /^default(_|$)/.test(nameOf(r.urn));

export function fromOffline(resources: readonly RecordedResource[]): Resource[] {
    return resources.map((r) => ({
        urn: r.urn,
        type: r.type,
        name: nameOf(r.urn),
        ...(r.parent ? { parent: r.parent } : {}),
        ...(normalizeProvider(r.provider, r.type, r.custom) ? { provider: normalizeProvider(r.provider, r.type, r.custom) } : {}),
        custom: r.custom,
        inputs: normalizeSecrets(r.inputs) as Obj,
        outputs: normalizeSecrets(r.outputs) as Obj,
    }));
}

export interface ExportedState { urn: string; type: string; custom?: boolean; parent?: string; provider?: string; inputs?: Obj; outputs?: Obj }

export function fromExport(resources: readonly ExportedState[]): Resource[] {
    return resources.map((r) => ({
        urn: r.urn,
        type: r.type,
        name: nameOf(r.urn),
        ...(r.parent ? { parent: r.parent } : {}),
        ...(normalizeProvider(r.provider, r.type, r.custom === true) ? { provider: normalizeProvider(r.provider, r.type, r.custom === true) } : {}),
        custom: r.custom === true,
        inputs: normalizeSecrets(r.inputs ?? {}) as Obj,
        outputs: normalizeSecrets(r.outputs ?? {}) as Obj,
    }));
}

// --- values random by nature ------------------------------------------------------

const PEM = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----\n?/g;
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
/** A SHA-256 digest in hex: the pods' checksum annotations hash certificate material and passwords. */
const SHA256_HEX = /\b[0-9a-f]{64}\b/g;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The random values a run generated that may reappear elsewhere (in config files, URLs, Secrets): its passwords. */
export function randomSeeds(resources: readonly Resource[]): string[] {
    const seeds = new Set<string>();
    for (const r of resources) {
        if (r.type !== "random:index/randomPassword:RandomPassword") continue;
        const result = unsecret(r.outputs.result);
        if (typeof result === "string" && result.length >= 8) seeds.add(result);
    }
    // Longest first, so that no seed's placeholder swallows part of a longer one.
    return [...seeds].sort((a, b) => b.length - a.length);
}

const unsecret = (v: unknown): unknown => (v && typeof v === "object" && SECRET in (v as Obj) ? unsecret((v as Obj)[SECRET]) : v);

/** Text with every random part replaced by a placeholder naming its kind. */
function scrubText(s: string, seeds: readonly string[]): string {
    let out = s.replace(PEM, (_m, label: string) => `<PEM ${label}>`);
    for (const seed of seeds) {
        for (const form of new Set([seed, encodeURIComponent(seed), JSON.stringify(seed).slice(1, -1)])) out = out.split(form).join("<password>");
    }
    return out.replace(SHA256_HEX, "<sha256>");
}

/**
 * A string scrubbed of randomness: an RFC 3339 time is `<time>`, a bare
 * SHA-256 hex digest `<sha256>`; base64 is decoded and scrubbed as text when it
 * is text. Binary base64 is `<binary>` only in a Secret's or ConfigMap's data
 * (`inBinaryField`): there it is a keystore (PKCS#12, JKS), keys under random
 * passwords; elsewhere a string that merely looks like base64 is compared as is.
 */
function scrubString(s: string, seeds: readonly string[], inBinaryField: boolean): string {
    if (RFC3339.test(s)) return "<time>";
    if (/^[0-9a-f]{64}$/.test(s)) return "<sha256>";
    if (s.length >= 16 && BASE64.test(s)) {
        const bytes = Buffer.from(s, "base64");
        const text = bytes.toString("utf8");
        // Text: valid UTF-8 with no control characters but tab, newline and carriage return.
        const printable = !text.includes("\uFFFD") && ![...text].some((ch) => ch.charCodeAt(0) < 32 && !"\t\n\r".includes(ch));
        if (printable) return `base64(${scrubText(text, seeds)})`;
        if (inBinaryField) return "<binary>";
    }
    return scrubText(s, seeds);
}

export function scrub(v: unknown, seeds: readonly string[], inBinaryField = false): unknown {
    if (typeof v === "string") return scrubString(v, seeds, inBinaryField);
    if (Array.isArray(v)) return v.map((x) => scrub(x, seeds, inBinaryField));
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, scrub(x, seeds, inBinaryField || k === "data" || k === "binaryData")]));
    return v;
}

// --- the documented differences ---------------------------------------------------

/**
 * Fields of the tls/random resources that are random by nature and have no
 * recognisable shape (an opaque id or a bare hex string), by name, with why.
 */
export const RANDOM_FIELDS: Readonly<Record<string, string>> = {
    publicKeyFingerprintMd5: "the MD5 fingerprint of a fresh public key",
    publicKeyFingerprintSha256: "the SHA-256 fingerprint of a fresh public key",
    publicKeyOpenssh: "the OpenSSH form of a fresh public key",
    result: "RandomPassword's password",
    bcryptHash: "the bcrypt hash of a fresh password, salted at random",
    privateKeyOpenssh: "a fresh private key (and see INPUT_DEFAULTS_ONLY_REAL)",
};

/**
 * Inputs the stand-in tls/random providers add in Check and the offline
 * engine does not record (test/e2e/build/standins/README.md): their
 * reading of the upstream schema's defaults. Excluded, not fixed in the
 * offline engine: the stand-ins are this project's code, not the upstream
 * Terraform-bridged providers, so they do not show what the real providers
 * record (plugin-framework defaults are applied at plan time, and may land in
 * outputs only). A field is excused only when its value IS the listed default.
 */
export const STANDIN_INPUT_DEFAULTS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
    "tls:index/privateKey:PrivateKey": { ecdsaCurve: "P224", rsaBits: 2048 },
    "tls:index/selfSignedCert:SelfSignedCert": { earlyRenewalHours: 0, isCaCertificate: false, setSubjectKeyId: false, setAuthorityKeyId: false },
    "tls:index/locallySignedCert:LocallySignedCert": { earlyRenewalHours: 0, isCaCertificate: false, setSubjectKeyId: false },
    "random:index/randomPassword:RandomPassword": { lower: true, upper: true, numeric: true, number: true, special: true, minLower: 0, minUpper: 0, minNumeric: 0, minSpecial: 0 },
};

/**
 * Outputs the stand-ins add that the offline engine leaves out or empty, by
 * field, with why (engine/providers.ts says the same): both are secret, so
 * they are outside the public outputs the test compares anyway; listed so that
 * a change in their secret-ness is seen.
 */
export const STANDIN_EXTRA_OUTPUTS: Readonly<Record<string, string>> = {
    bcryptHash: "random's bcrypt hash of the password: not emulated offline (no bcrypt in Node's standard library; the program never reads it)",
    privateKeyOpenssh: "tls's OpenSSH private key: \"\" offline (not emulated; the program never reads it)",
};

/**
 * What the real engine adds to a provider resource's inputs and the offline
 * engine does not record: `version`, the plugin version the SDK asked for
 * (RegisterResourceRequest.version, set by each provider SDK), in inputs and
 * outputs, and `__internal` ({} here: no plugin download URL or checksums), in
 * inputs. Excluded rather than fixed offline for now: the offline export's
 * provider inputs are pinned by test/components/kubernetes/provider.test.ts
 * (not this test's to change); a value is excused only when it is the version
 * the resource's SDK declares and an empty __internal.
 */
export function engineProviderKeys(type: string, sdkVersion: (pkg: string) => string | undefined): Record<string, unknown> | undefined {
    if (!type.startsWith("pulumi:providers:")) return undefined;
    const version = sdkVersion(type.replace("pulumi:providers:", ""));
    return version ? { version, __internal: {} } : { __internal: {} };
}

/** The version a provider SDK in node_modules requests (its package.json's pulumi.version or version). */
export function sdkVersionOf(pkg: string): string | undefined {
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const p = require(`@pulumi/${pkg}/package.json`) as { version?: string; pulumi?: { version?: string } };
        return (p.pulumi?.version ?? p.version)?.replace(/^v/, "");
    } catch {
        return undefined;
    }
}

// --- the comparison -----------------------------------------------------------------

export interface Difference { urn: string; path: string; offline: unknown; real: unknown }

/** A value for a message: secrets (even scrubbed) only as a fingerprint, never in clear. */
const show = (v: unknown) => (v === undefined ? "(absent)" : JSON.stringify(v).includes(JSON.stringify(SECRET)) ? `secret sha256:${fingerprint(v)}` : JSON.stringify(v).slice(0, 200));
export const describe = (d: Difference) =>
    d.path.includes(SECRET) ? `${d.urn} ${d.path}: offline secret sha256:${fingerprint(d.offline)}, real secret sha256:${fingerprint(d.real)}` : `${d.urn} ${d.path}: offline ${show(d.offline)}, real ${show(d.real)}`;

/** Paths where two scrubbed values differ; `subset` only walks what the offline value holds. */
function diffValues(urn: string, path: string, a: unknown, b: unknown, subset: boolean, out: Difference[]): void {
    if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
        const keys = new Set([...Object.keys(a as Obj), ...(subset ? [] : Object.keys(b as Obj))]);
        for (const k of [...keys].sort()) diffValues(urn, path ? `${path}.${k}` : k, (a as Obj)[k], (b as Obj)[k], subset, out);
        return;
    }
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
        a.forEach((x, i) => diffValues(urn, `${path}[${i}]`, x, b[i], subset, out));
        return;
    }
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ urn, path, offline: a, real: b });
}

/** Public values only: secrets become the placeholder, so that secret-ness is still compared. */
function publicOnly(v: unknown): unknown {
    if (v && typeof v === "object" && SECRET in (v as Obj)) return SECRET;
    if (Array.isArray(v)) return v.map(publicOnly);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, publicOnly(x)]));
    return v;
}

/** Kubernetes outputs the provider reads back from the API server: defaults, status, metadata the server sets. */
const isKubernetes = (type: string) => type.startsWith("kubernetes:") && !type.startsWith("kubernetes:index:") && !type.startsWith("pulumi:providers:");

export interface Comparison {
    onlyOffline: string[];
    onlyReal: string[];
    differences: Difference[];
    /** How many resources were compared field by field. */
    compared: number;
}

export function compare(offline: readonly Resource[], real: readonly Resource[]): Comparison {
    const offlineSeeds = randomSeeds(offline);
    const realSeeds = randomSeeds(real);
    const realByUrn = new Map(real.filter((r) => !isDefaultProvider(r)).map((r) => [r.urn, r]));
    const offlineByUrn = new Map(offline.map((r) => [r.urn, r]));
    const differences: Difference[] = [];
    let compared = 0;
    for (const o of offline) {
        const r = realByUrn.get(o.urn);
        if (!r) continue;
        compared++;
        for (const f of ["type", "name", "parent", "provider", "custom"] as const) {
            if (o[f] !== r[f]) differences.push({ urn: o.urn, path: f, offline: o[f], real: r[f] });
        }
        // Inputs: every field, both ways, but the stand-ins' schema defaults.
        const defaults = { ...STANDIN_INPUT_DEFAULTS[o.type], ...engineProviderKeys(o.type, sdkVersionOf) };
        const realInputs = Object.fromEntries(Object.entries(r.inputs).filter(([k, v]) => !(k in defaults && !(k in o.inputs) && JSON.stringify(v) === JSON.stringify(defaults[k]))));
        const [oi, ri] = [scrubFields(o.inputs, offlineSeeds), scrubFields(realInputs, realSeeds)];
        diffValues(o.urn, "inputs", oi, ri, false, differences);
        // Outputs: the public ones. A Kubernetes object's outputs are the live
        // object, which holds what was sent plus what the server adds
        // (uid, resourceVersion, managedFields, defaults, status): what the
        // offline engine records must be in it, as recorded.
        const oo = publicOnly(scrubFields(o.outputs, offlineSeeds)) as Obj;
        const ro = publicOnly(scrubFields(r.outputs, realSeeds)) as Obj;
        const engineKeys = engineProviderKeys(o.type, sdkVersionOf);
        if (engineKeys && oo.version === undefined && ro.version === engineKeys.version) delete ro.version;
        if (isKubernetes(o.type)) {
            diffValues(o.urn, "outputs", oo, ro, true, differences);
        } else {
            for (const k of Object.keys(STANDIN_EXTRA_OUTPUTS)) {
                // Secret on both sides or absent offline: the documented addition.
                if (ro[k] === SECRET && (oo[k] === undefined || oo[k] === SECRET)) {
                    delete ro[k];
                    delete oo[k];
                }
            }
            diffValues(o.urn, "outputs", oo, ro, false, differences);
        }
    }
    return {
        onlyOffline: offline.filter((o) => !realByUrn.has(o.urn)).map((o) => o.urn),
        onlyReal: [...realByUrn.keys()].filter((u) => !offlineByUrn.has(u)),
        differences,
        compared,
    };
}

/**
 * The paths where two values differ once each is scrubbed of its own run's
 * randomness (for values outside a resource's state, e.g. rendered manifests).
 */
export function valueDifferences(label: string, offline: unknown, offlineSeeds: readonly string[], real: unknown, realSeeds: readonly string[]): Difference[] {
    const out: Difference[] = [];
    diffValues(label, "", scrub(offline, offlineSeeds), scrub(real, realSeeds), false, out);
    return out;
}

/** Scrubs every value; the RANDOM_FIELDS (top level of a tls/random resource) become `<random>`. */
function scrubFields(props: Obj, seeds: readonly string[]): Obj {
    return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, k in RANDOM_FIELDS ? randomPlaceholder(v) : scrub(v, seeds, k === "data" || k === "binaryData")]));
}

const randomPlaceholder = (v: unknown) => (v && typeof v === "object" && SECRET in (v as Obj) ? { [SECRET]: "<random>" } : "<random>");

/** A short fingerprint of a value, for messages that must not print secrets. */
export const fingerprint = (v: unknown) => crypto.createHash("sha256").update(JSON.stringify(v)).digest("hex").slice(0, 12);
