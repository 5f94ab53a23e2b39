// Emulated providers for the offline engine. tls and random are emulated with
// real crypto and the same input checks the providers make; Kubernetes
// objects are recorded as the API server would store what we send.
import * as crypto from "crypto";
import * as der from "../lib/asn1/der";
import * as x509 from "./x509";

export type Props = Record<string, unknown>;

export interface EmulatorContext {
    readonly name: string;
    readonly type: string;
    readonly now: Date;
}

export interface Emulator {
    create(inputs: Props, ctx: EmulatorContext): { id: string; outputs: Props };
    /** Input keys whose change forces a replacement; "all" for providers where every input does. */
    readonly replaceOnChanges: "all" | readonly string[];
    /**
     * Inputs whose change updates the resource in place, the rest of its
     * outputs kept as they are (a certificate's earlyRenewalHours, which
     * terraform-provider-tls declares without RequiresReplace).
     */
    readonly inPlace?: readonly string[];
    /** A resource that must be replaced even with unchanged inputs (a certificate inside its renewal window), judged on its outputs with the planned in-place inputs. */
    mustRenew?(outputs: Props, now: Date): boolean;
}

/**
 * terraform-provider-tls' id of a key or a request (hashForState): the SHA-1,
 * hex, of the DER bytes taken as a Go string with surrounding white space
 * removed (strings.TrimSpace: Unicode white space, decoded as UTF-8).
 */
export function hashForState(derBytes: Buffer): string {
    const trimmed = goTrimSpace(derBytes);
    return trimmed.length === 0 ? "" : crypto.createHash("sha1").update(trimmed).digest("hex");
}

/** Go's unicode.IsSpace. */
const isGoSpace = (c: number) => (c >= 0x09 && c <= 0x0d) || c === 0x20 || c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;

/** UTF-8 lead bytes: for a sequence of 1 to 4 bytes, the mask of the lead's marker bits and their value. */
const UTF8_LEAD: readonly (readonly [number, number, number])[] = [
    [0x80, 0x00, 0],
    [0xe0, 0xc0, 0x80],
    [0xf0, 0xe0, 0x800],
    [0xf8, 0xf0, 0x10000],
];

/** The code point a valid UTF-8 sequence of `len` bytes at `at` encodes, or undefined. */
function utf8At(b: Buffer, at: number, len: number): number | undefined {
    if (at < 0 || at + len > b.length) return undefined;
    const [marker, value, min] = UTF8_LEAD[len - 1];
    if ((b[at] & marker) !== value) return undefined;
    let c = b[at] & ~marker & 0xff;
    for (let i = 1; i < len; i++) {
        if ((b[at + i] & 0xc0) !== 0x80) return undefined;
        c = (c << 6) | (b[at + i] & 0x3f);
    }
    return c >= min ? c : undefined;
}

/** Go's strings.TrimSpace over bytes: invalid UTF-8 is never white space. */
export function goTrimSpace(b: Buffer): Buffer {
    let start = 0;
    let end = b.length;
    leading: while (start < end) {
        for (let len = 1; len <= 4; len++) {
            const c = utf8At(b, start, len);
            if (c !== undefined) {
                if (!isGoSpace(c)) break leading;
                start += len;
                continue leading;
            }
        }
        break;
    }
    trailing: while (end > start) {
        for (let len = 1; len <= 4; len++) {
            const c = utf8At(b, end - len, len);
            if (c !== undefined && end - len >= start) {
                if (!isGoSpace(c)) break trailing;
                end -= len;
                continue trailing;
            }
        }
        break;
    }
    return b.subarray(start, end);
}

export class ProviderError extends Error {
    constructor(ctx: EmulatorContext, message: string) {
        super(`${ctx.type} "${ctx.name}": ${message}`);
        this.name = "ProviderError";
    }
}

const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");

function str(inputs: Props, key: string, ctx: EmulatorContext, required = true): string | undefined {
    const v = inputs[key];
    if (v === undefined || v === null || v === "") {
        if (required) throw new ProviderError(ctx, `missing required argument "${key}"`);
        return undefined;
    }
    if (typeof v !== "string") throw new ProviderError(ctx, `"${key}" must be a string`);
    return v;
}

function num(inputs: Props, key: string, ctx: EmulatorContext, fallback?: number): number {
    const v = inputs[key] ?? fallback;
    if (v === undefined) throw new ProviderError(ctx, `missing required argument "${key}"`);
    if (typeof v !== "number" || !Number.isInteger(v)) throw new ProviderError(ctx, `"${key}" must be a whole number`);
    return v;
}

const bool = (inputs: Props, key: string, fallback: boolean) => (typeof inputs[key] === "boolean" ? (inputs[key] as boolean) : fallback);
const strings = (inputs: Props, key: string): string[] => (Array.isArray(inputs[key]) ? (inputs[key] as string[]) : []);

// --- tls:index/privateKey:PrivateKey -----------------------------------------

const CURVES: Record<string, string> = { P224: "secp224r1", P256: "prime256v1", P384: "secp384r1", P521: "secp521r1" };
const SSH_CURVES: Record<string, string> = { P256: "nistp256", P384: "nistp384", P521: "nistp521" };

function sshString(b: Buffer | string): Buffer {
    const buf = Buffer.from(b);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(buf.length);
    return Buffer.concat([len, buf]);
}
const sshMpint = (b64url: string) => {
    let b = Buffer.from(b64url, "base64url");
    if (b[0] & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
    return sshString(b);
};

/** The OpenSSH public key blob; P-224 has none, as in the provider. */
function sshPublicBlob(publicKey: crypto.KeyObject, algorithm: string, curve: string): Buffer | undefined {
    const jwk = publicKey.export({ format: "jwk" });
    if (algorithm === "RSA") return Buffer.concat([sshString("ssh-rsa"), sshMpint(jwk.e!), sshMpint(jwk.n!)]);
    if (algorithm === "ED25519") return Buffer.concat([sshString("ssh-ed25519"), sshString(Buffer.from(jwk.x!, "base64url"))]);
    const sshCurve = SSH_CURVES[curve];
    if (!sshCurve) return undefined;
    const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]);
    return Buffer.concat([sshString(`ecdsa-sha2-${sshCurve}`), sshString(sshCurve), sshString(point)]);
}

const privateKey: Emulator = {
    replaceOnChanges: "all",
    create(inputs, ctx) {
        const algorithm = str(inputs, "algorithm", ctx)!;
        let generated: crypto.KeyPairSyncResult<Buffer, string>;
        const curve = (inputs.ecdsaCurve as string | undefined) ?? "P224";
        const rsaBits = (inputs.rsaBits as number | undefined) ?? 2048;
        // Encoded at generation, then read back as new key objects: Node 20 can deadlock when a key object
        // straight from generateKeyPairSync is exported while the collector finalises the job that made it
        // (the job's destructor takes the key's lock that the export holds; seen here in a JWK export).
        const publicKeyEncoding = { type: "spki", format: "der" } as const;
        const privateKeyEncoding = { type: "pkcs8", format: "pem" } as const;
        if (algorithm === "RSA") {
            if (!Number.isInteger(rsaBits) || rsaBits < 1024) throw new ProviderError(ctx, `rsaBits ${rsaBits} is too small`);
            generated = crypto.generateKeyPairSync("rsa", { modulusLength: rsaBits, publicKeyEncoding, privateKeyEncoding });
        } else if (algorithm === "ECDSA") {
            if (!CURVES[curve]) throw new ProviderError(ctx, `ecdsaCurve must be one of ${Object.keys(CURVES).join(", ")}, got ${JSON.stringify(curve)}`);
            generated = crypto.generateKeyPairSync("ec", { namedCurve: CURVES[curve], publicKeyEncoding, privateKeyEncoding });
        } else if (algorithm === "ED25519") {
            generated = crypto.generateKeyPairSync("ed25519", { publicKeyEncoding, privateKeyEncoding });
        } else {
            throw new ProviderError(ctx, `algorithm must be one of RSA, ECDSA, ED25519, got ${JSON.stringify(algorithm)}`);
        }
        const pair = { privateKey: crypto.createPrivateKey(generated.privateKey), publicKey: crypto.createPublicKey({ key: generated.publicKey, format: "der", type: "spki" }) };
        const pkcs8 = pair.privateKey.export({ type: "pkcs8", format: "pem" }) as string;
        const privateKeyPem =
            algorithm === "RSA"
                ? (pair.privateKey.export({ type: "pkcs1", format: "pem" }) as string)
                : algorithm === "ECDSA"
                  ? (pair.privateKey.export({ type: "sec1", format: "pem" }) as string)
                  : pkcs8;
        const publicKeyPem = pair.publicKey.export({ type: "spki", format: "pem" }) as string;
        const publicKeyDer = pair.publicKey.export({ type: "spki", format: "der" });
        const blob = sshPublicBlob(pair.publicKey, algorithm, curve);
        const keyType = blob ? blob.subarray(4, 4 + blob.readUInt32BE(0)).toString() : "";
        return {
            id: hashForState(publicKeyDer),
            outputs: {
                ...inputs,
                ecdsaCurve: curve,
                rsaBits,
                privateKeyPem,
                privateKeyPemPkcs8: pkcs8,
                publicKeyPem,
                publicKeyOpenssh: blob ? `${keyType} ${blob.toString("base64")}\n` : "",
                publicKeyFingerprintMd5: blob ? (crypto.createHash("md5").update(blob).digest("hex").match(/../g) ?? []).join(":") : "",
                publicKeyFingerprintSha256: blob ? `SHA256:${crypto.createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}` : "",
                // The OpenSSH private key format is not emulated; this program never reads it.
                privateKeyOpenssh: "",
            },
        };
    },
};

// --- certificates --------------------------------------------------------------

function loadPrivateKey(pem: string, ctx: EmulatorContext, key: string): crypto.KeyObject {
    try {
        return crypto.createPrivateKey(pem);
    } catch {
        throw new ProviderError(ctx, `"${key}" is not a PEM private key`);
    }
}

function keyAlgorithmName(key: crypto.KeyObject): string {
    return key.asymmetricKeyType === "rsa" ? "RSA" : key.asymmetricKeyType === "ec" ? "ECDSA" : "ED25519";
}

function checkUses(inputs: Props, ctx: EmulatorContext): string[] {
    const uses = inputs.allowedUses;
    if (!Array.isArray(uses)) throw new ProviderError(ctx, `missing required argument "allowedUses"`);
    for (const use of uses) {
        if (!(use in x509.KEY_USAGE_BITS) && !(use in x509.EXT_KEY_USAGE_OIDS)) {
            throw new ProviderError(ctx, `allowedUses: unknown use ${JSON.stringify(use)}`);
        }
    }
    return uses as string[];
}

function validity(inputs: Props, ctx: EmulatorContext) {
    const hours = num(inputs, "validityPeriodHours", ctx);
    const early = num(inputs, "earlyRenewalHours", ctx, 0);
    if (hours < 0) throw new ProviderError(ctx, "validityPeriodHours must be 0 or more");
    if (early < 0) throw new ProviderError(ctx, "earlyRenewalHours must be 0 or more");
    const notBefore = new Date(Math.floor(ctx.now.getTime() / 1000) * 1000);
    const notAfter = new Date(notBefore.getTime() + hours * 3600_000);
    return { notBefore, notAfter, early };
}

/** A serial number in [0, 2^128), as terraform-provider-tls draws it (createCertificate). */
const randomSerial = () => crypto.randomBytes(16);

/** The template fields both certificate resources take from their inputs the same way. */
function commonTemplate(inputs: Props, ctx: EmulatorContext) {
    const uses = checkUses(inputs, ctx);
    const v = validity(inputs, ctx);
    return {
        validity: v,
        fields: {
            serial: randomSerial(),
            notBefore: v.notBefore,
            notAfter: v.notAfter,
            allowedUses: uses,
            isCa: bool(inputs, "isCaCertificate", false),
            maxPathLength: inputs.maxPathLength as number | undefined,
            setSubjectKeyId: bool(inputs, "setSubjectKeyId", false),
        },
    };
}

function certOutputs(inputs: Props, certDer: Buffer, serial: Buffer, v: ReturnType<typeof validity>, extra: Props) {
    return {
        id: BigInt("0x" + serial.toString("hex")).toString(10),
        outputs: {
            ...inputs,
            ...extra,
            earlyRenewalHours: v.early,
            isCaCertificate: bool(inputs, "isCaCertificate", false),
            setSubjectKeyId: bool(inputs, "setSubjectKeyId", false),
            certPem: der.derToPem(certDer, "CERTIFICATE"),
            validityStartTime: rfc3339(v.notBefore),
            validityEndTime: rfc3339(v.notAfter),
            readyForRenewal: false,
        },
    };
}

/** The provider plans a replacement once now is within earlyRenewalHours of the end. */
function inRenewalWindow(outputs: Props, now: Date): boolean {
    const end = Date.parse(String(outputs.validityEndTime));
    const early = Number(outputs.earlyRenewalHours ?? 0);
    return Number.isFinite(end) && now.getTime() >= end - early * 3600_000;
}

const selfSignedCert: Emulator = {
    replaceOnChanges: "all",
    inPlace: ["earlyRenewalHours"],
    mustRenew: inRenewalWindow,
    create(inputs, ctx) {
        const key = loadPrivateKey(str(inputs, "privateKeyPem", ctx)!, ctx, "privateKeyPem");
        const { validity: v, fields } = commonTemplate(inputs, ctx);
        const name = x509.encodeName((inputs.subject ?? {}) as x509.SubjectFields);
        const spki = x509.spkiOf(key);
        const certDer = x509.signCertificate({
            ...fields,
            issuerName: name,
            subjectName: name,
            spki,
            authorityKeyId: bool(inputs, "setAuthorityKeyId", false) ? x509.subjectKeyId(spki) : undefined,
            subjectAltName: x509.subjectAltNameValue({ dnsNames: strings(inputs, "dnsNames"), ipAddresses: strings(inputs, "ipAddresses"), uris: strings(inputs, "uris") }),
            signingKey: key,
        });
        // setAuthorityKeyId's default is in the state too (the differential test).
        return certOutputs(inputs, certDer, fields.serial, v, { keyAlgorithm: keyAlgorithmName(key), setAuthorityKeyId: bool(inputs, "setAuthorityKeyId", false) });
    },
};

const certRequest: Emulator = {
    replaceOnChanges: "all",
    create(inputs, ctx) {
        const key = loadPrivateKey(str(inputs, "privateKeyPem", ctx)!, ctx, "privateKeyPem");
        const csr = x509.buildCertificateRequest(x509.encodeName((inputs.subject ?? {}) as x509.SubjectFields), key, {
            dnsNames: strings(inputs, "dnsNames"),
            ipAddresses: strings(inputs, "ipAddresses"),
            uris: strings(inputs, "uris"),
        });
        const pem = der.derToPem(csr, "CERTIFICATE REQUEST");
        return { id: hashForState(csr), outputs: { ...inputs, certRequestPem: pem, keyAlgorithm: keyAlgorithmName(key) } };
    },
};

const locallySignedCert: Emulator = {
    replaceOnChanges: "all",
    inPlace: ["earlyRenewalHours"],
    mustRenew: inRenewalWindow,
    create(inputs, ctx) {
        const caKey = loadPrivateKey(str(inputs, "caPrivateKeyPem", ctx)!, ctx, "caPrivateKeyPem");
        let caCert: crypto.X509Certificate;
        try {
            caCert = new crypto.X509Certificate(str(inputs, "caCertPem", ctx)!);
        } catch {
            throw new ProviderError(ctx, `"caCertPem" is not a PEM certificate`);
        }
        if (!caCert.checkPrivateKey(caKey)) throw new ProviderError(ctx, "caPrivateKeyPem does not match the public key of caCertPem");
        let request: x509.ParsedRequest;
        try {
            request = x509.parseCertificateRequest(der.pemToDer(str(inputs, "certRequestPem", ctx)!, "CERTIFICATE REQUEST"));
        } catch (e) {
            throw new ProviderError(ctx, `certRequestPem: ${(e as Error).message}`);
        }
        const { validity: v, fields } = commonTemplate(inputs, ctx);
        const ca = x509.parseCertificate(caCert.raw);
        const certDer = x509.signCertificate({
            ...fields,
            issuerName: ca.subjectName,
            subjectName: request.subjectName,
            spki: request.spki,
            authorityKeyId: ca.subjectKeyId,
            subjectAltName: request.subjectAltName,
            signingKey: caKey,
        });
        return certOutputs(inputs, certDer, fields.serial, v, { caKeyAlgorithm: keyAlgorithmName(caKey) });
    },
};

// --- random:index/randomPassword:RandomPassword --------------------------------

const randomPassword: Emulator = {
    replaceOnChanges: "all",
    create(inputs, ctx) {
        const length = num(inputs, "length", ctx);
        if (length < 1) throw new ProviderError(ctx, "length must be at least 1");
        const classes = [
            { on: bool(inputs, "lower", true), min: num(inputs, "minLower", ctx, 0), chars: "abcdefghijklmnopqrstuvwxyz" },
            { on: bool(inputs, "upper", true), min: num(inputs, "minUpper", ctx, 0), chars: "ABCDEFGHIJKLMNOPQRSTUVWXYZ" },
            { on: bool(inputs, "numeric", true), min: num(inputs, "minNumeric", ctx, 0), chars: "0123456789" },
            { on: bool(inputs, "special", true), min: num(inputs, "minSpecial", ctx, 0), chars: (inputs.overrideSpecial as string | undefined) ?? "!@#$%&*()-_=+[]{}<>:?" },
        ];
        const minimum = classes.reduce((s, c) => s + c.min, 0);
        if (length < minimum) throw new ProviderError(ctx, `length (${length}) must be >= the sum of the minimums (${minimum})`);
        const pool = classes.filter((c) => c.on).map((c) => c.chars).join("");
        if (!pool) throw new ProviderError(ctx, "at least one character class must be enabled");
        const chars: string[] = [];
        for (const c of classes) for (let i = 0; i < c.min; i++) chars.push(c.chars[crypto.randomInt(c.chars.length)]);
        while (chars.length < length) chars.push(pool[crypto.randomInt(pool.length)]);
        for (let i = chars.length - 1; i > 0; i--) {
            const j = crypto.randomInt(i + 1);
            [chars[i], chars[j]] = [chars[j], chars[i]];
        }
        // The provider's state holds every attribute, defaults included (`number` is
        // the deprecated alias of `numeric`), as the differential test against the
        // real engine showed (test/e2e/differential.e2e.test.ts).
        const [lower, upper, numeric, special] = classes;
        const settled = {
            lower: lower.on,
            upper: upper.on,
            numeric: numeric.on,
            number: numeric.on,
            special: special.on,
            minLower: lower.min,
            minUpper: upper.min,
            minNumeric: numeric.min,
            minSpecial: special.min,
        };
        // bcryptHash is not emulated: no bcrypt in Node's standard library, and this program never reads it.
        return { id: "none", outputs: { ...inputs, ...settled, result: chars.join("") } };
    },
};

// --- Kubernetes ------------------------------------------------------------------

const kubernetesObject: Emulator = {
    replaceOnChanges: ["metadata.name", "metadata.namespace", "type"],
    create(inputs, ctx) {
        const metadata = (inputs.metadata ?? {}) as Props;
        const name = (metadata.name as string | undefined) ?? `${ctx.name}-${crypto.createHash("sha1").update(ctx.name).digest("hex").slice(0, 8)}`;
        if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 253) throw new ProviderError(ctx, `metadata.name ${JSON.stringify(name)} is not a valid object name`);
        if (ctx.type === "kubernetes:core/v1:Secret") {
            for (const [k, v] of Object.entries((inputs.data ?? {}) as Props)) {
                if (typeof v !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw new ProviderError(ctx, `data.${k} is not base64`);
                if (!/^[-._a-zA-Z0-9]+$/.test(k)) throw new ProviderError(ctx, `data key ${JSON.stringify(k)} is not a valid Secret key`);
            }
        }
        const namespace = metadata.namespace as string | undefined;
        return { id: namespace ? `${namespace}/${name}` : name, outputs: { ...inputs, metadata: { ...metadata, name } } };
    },
};

const providerResource: Emulator = {
    replaceOnChanges: [],
    create(inputs, ctx) {
        return { id: crypto.createHash("sha256").update(ctx.type + ctx.name).digest("hex").slice(0, 32), outputs: { ...inputs } };
    },
};

const EMULATORS: Record<string, Emulator> = {
    "tls:index/privateKey:PrivateKey": privateKey,
    "tls:index/selfSignedCert:SelfSignedCert": selfSignedCert,
    "tls:index/certRequest:CertRequest": certRequest,
    "tls:index/locallySignedCert:LocallySignedCert": locallySignedCert,
    "random:index/randomPassword:RandomPassword": randomPassword,
};

export function emulatorFor(type: string): Emulator | undefined {
    if (EMULATORS[type]) return EMULATORS[type];
    if (type.startsWith("pulumi:providers:")) return providerResource;
    if (type.startsWith("kubernetes:")) return kubernetesObject;
    return undefined;
}
