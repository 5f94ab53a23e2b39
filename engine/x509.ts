// X.509 certificates and PKCS#10 requests built with real keys and real
// signatures, the way Go's crypto/x509 (and so the Terraform/Pulumi tls
// provider) lays them out: the offline engine's stand-in for that provider.
import * as crypto from "crypto";
import * as der from "../lib/asn1/der";

export interface SubjectFields {
    readonly commonName?: string;
    readonly organization?: string;
    readonly organizationalUnit?: string;
    readonly country?: string;
    readonly province?: string;
    readonly locality?: string;
    readonly postalCode?: string;
    readonly serialNumber?: string;
    readonly streetAddresses?: readonly string[];
}

const NAME_OIDS = {
    country: "2.5.4.6",
    province: "2.5.4.8",
    locality: "2.5.4.7",
    streetAddress: "2.5.4.9",
    postalCode: "2.5.4.17",
    organization: "2.5.4.10",
    organizationalUnit: "2.5.4.11",
    commonName: "2.5.4.3",
    serialNumber: "2.5.4.5",
};

const printable = /^[A-Za-z0-9 '()+,\-./:=?]*$/;
const nameString = (s: string) => (printable.test(s) ? der.printableString(s) : der.utf8String(s));

/** An X.501 Name in Go's pkix.Name attribute order. */
export function encodeName(subject: SubjectFields): Buffer {
    const rdns: Buffer[] = [];
    const add = (oid: string, value: string | undefined) => {
        if (value) rdns.push(der.set(der.sequence(der.oid(oid), nameString(value))));
    };
    add(NAME_OIDS.country, subject.country);
    add(NAME_OIDS.province, subject.province);
    add(NAME_OIDS.locality, subject.locality);
    for (const street of subject.streetAddresses ?? []) add(NAME_OIDS.streetAddress, street);
    add(NAME_OIDS.postalCode, subject.postalCode);
    add(NAME_OIDS.organization, subject.organization);
    add(NAME_OIDS.organizationalUnit, subject.organizationalUnit);
    add(NAME_OIDS.commonName, subject.commonName);
    add(NAME_OIDS.serialNumber, subject.serialNumber);
    return der.sequence(...rdns);
}

export const KEY_USAGE_BITS: Readonly<Record<string, number>> = {
    digital_signature: 0,
    content_commitment: 1,
    key_encipherment: 2,
    data_encipherment: 3,
    key_agreement: 4,
    cert_signing: 5,
    crl_signing: 6,
    encipher_only: 7,
    decipher_only: 8,
};

export const EXT_KEY_USAGE_OIDS: Readonly<Record<string, string>> = {
    any_extended: "2.5.29.37.0",
    server_auth: "1.3.6.1.5.5.7.3.1",
    client_auth: "1.3.6.1.5.5.7.3.2",
    code_signing: "1.3.6.1.5.5.7.3.3",
    email_protection: "1.3.6.1.5.5.7.3.4",
    ipsec_end_system: "1.3.6.1.5.5.7.3.5",
    ipsec_tunnel: "1.3.6.1.5.5.7.3.6",
    ipsec_user: "1.3.6.1.5.5.7.3.7",
    timestamping: "1.3.6.1.5.5.7.3.8",
    ocsp_signing: "1.3.6.1.5.5.7.3.9",
    microsoft_server_gated_crypto: "1.3.6.1.4.1.311.10.3.3",
    netscape_server_gated_crypto: "2.16.840.1.113730.4.1",
    microsoft_commercial_code_signing: "1.3.6.1.4.1.311.2.1.22",
    microsoft_kernel_code_signing: "1.3.6.1.4.1.311.61.1.1",
};

const extension = (oid: string, critical: boolean, value: Buffer) =>
    critical ? der.sequence(der.oid(oid), der.boolean(true), der.octetString(value)) : der.sequence(der.oid(oid), der.octetString(value));

function keyUsageExtension(uses: readonly string[]): Buffer | undefined {
    let bits = 0;
    for (const use of uses) if (use in KEY_USAGE_BITS) bits |= 1 << KEY_USAGE_BITS[use];
    if (bits === 0) return undefined;
    // DER BIT STRING: bit 0 is the most significant bit of the first byte, trailing zero bits dropped.
    const bytes = [0, 0].map((_, i) => {
        let b = 0;
        for (let bit = 0; bit < 8; bit++) if (bits & (1 << (i * 8 + bit))) b |= 0x80 >> bit;
        return b;
    });
    const used = bytes[1] ? 2 : 1;
    const last = bytes[used - 1];
    let unused = 0;
    while (unused < 7 && !(last & (1 << unused))) unused++;
    return extension("2.5.29.15", true, der.bitString(Buffer.from(bytes.slice(0, used)), unused));
}

function extKeyUsageExtension(uses: readonly string[]): Buffer | undefined {
    const oids = uses.filter((u) => u in EXT_KEY_USAGE_OIDS).map((u) => der.oid(EXT_KEY_USAGE_OIDS[u]));
    return oids.length ? extension("2.5.29.37", false, der.sequence(...oids)) : undefined;
}

export interface AltNames {
    readonly dnsNames?: readonly string[];
    readonly ipAddresses?: readonly string[];
    readonly uris?: readonly string[];
}

function ipBytes(ip: string): Buffer {
    if (/^\d+\.\d+\.\d+\.\d+$/.test(ip)) return Buffer.from(ip.split(".").map(Number));
    const [head, tail = ""] = ip.split("::");
    const h = head ? head.split(":") : [];
    const t = tail ? tail.split(":") : [];
    const groups = ip.includes("::") ? [...h, ...Array(8 - h.length - t.length).fill("0"), ...t] : h;
    const out = Buffer.alloc(16);
    groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
    return out;
}

export function subjectAltNameValue(names: AltNames): Buffer | undefined {
    const general = [
        ...(names.dnsNames ?? []).map((d) => der.tlv(0x82, Buffer.from(d, "ascii"))),
        ...(names.ipAddresses ?? []).map((ip) => der.tlv(0x87, ipBytes(ip))),
        ...(names.uris ?? []).map((u) => der.tlv(0x86, Buffer.from(u, "ascii"))),
    ];
    return general.length ? der.sequence(...general) : undefined;
}

/** The subjectPublicKeyInfo of a key, DER. */
export const spkiOf = (key: crypto.KeyObject): Buffer => crypto.createPublicKey(key).export({ type: "spki", format: "der" });

/** Subject key identifier as Go computes it: SHA-1 of the subjectPublicKey bits. */
export function subjectKeyId(spki: Buffer): Buffer {
    const bits = der.read(spki).children[1];
    return crypto.createHash("sha1").update(bits.content.subarray(1)).digest();
}

/** Signature algorithm and digest Go picks for a signing key when none is set. */
function signatureAlgorithm(key: crypto.KeyObject): { algId: Buffer; hash: string | null } {
    const type = key.asymmetricKeyType;
    if (type === "rsa") return { algId: der.sequence(der.oid("1.2.840.113549.1.1.11"), der.nullValue()), hash: "sha256" };
    if (type === "ed25519") return { algId: der.sequence(der.oid("1.3.101.112")), hash: null };
    if (type === "ec") {
        const curve = key.asymmetricKeyDetails?.namedCurve;
        if (curve === "secp384r1") return { algId: der.sequence(der.oid("1.2.840.10045.4.3.3")), hash: "sha384" };
        if (curve === "secp521r1") return { algId: der.sequence(der.oid("1.2.840.10045.4.3.4")), hash: "sha512" };
        return { algId: der.sequence(der.oid("1.2.840.10045.4.3.2")), hash: "sha256" };
    }
    throw new Error(`unsupported signing key type ${type}`);
}

function signed(tbs: Buffer, key: crypto.KeyObject): Buffer {
    const { algId, hash } = signatureAlgorithm(key);
    return der.sequence(tbs, algId, der.bitString(crypto.sign(hash, tbs, key)));
}

export interface CertificateTemplate {
    readonly serial: Buffer;
    readonly issuerName: Buffer;
    readonly subjectName: Buffer;
    readonly spki: Buffer;
    readonly notBefore: Date;
    readonly notAfter: Date;
    readonly allowedUses: readonly string[];
    readonly isCa: boolean;
    readonly maxPathLength?: number;
    readonly setSubjectKeyId: boolean;
    /** The issuer's subject key identifier, for the authority key identifier. */
    readonly authorityKeyId?: Buffer;
    /** DER value of a subjectAltName extension. */
    readonly subjectAltName?: Buffer;
    readonly signingKey: crypto.KeyObject;
}

export function signCertificate(t: CertificateTemplate): Buffer {
    const extensions: Buffer[] = [];
    const ku = keyUsageExtension(t.allowedUses);
    if (ku) extensions.push(ku);
    const eku = extKeyUsageExtension(t.allowedUses);
    if (eku) extensions.push(eku);
    const bc: Buffer[] = [];
    if (t.isCa) bc.push(der.boolean(true));
    if (t.isCa && t.maxPathLength !== undefined && t.maxPathLength > 0) bc.push(der.integer(t.maxPathLength));
    extensions.push(extension("2.5.29.19", true, der.sequence(...bc)));
    // Go generates a subject key ID for every CA certificate.
    if (t.setSubjectKeyId || t.isCa) extensions.push(extension("2.5.29.14", false, der.octetString(subjectKeyId(t.spki))));
    if (t.authorityKeyId) extensions.push(extension("2.5.29.35", false, der.sequence(der.tlv(0x80, t.authorityKeyId))));
    if (t.subjectAltName) extensions.push(extension("2.5.29.17", false, t.subjectAltName));
    const tbs = der.sequence(
        der.explicit(0, der.integer(2)),
        der.integer(t.serial),
        signatureAlgorithm(t.signingKey).algId,
        t.issuerName,
        der.sequence(der.time(t.notBefore), der.time(t.notAfter)),
        t.subjectName,
        t.spki,
        der.explicit(3, der.sequence(...extensions)),
    );
    return signed(tbs, t.signingKey);
}

export function buildCertificateRequest(subjectName: Buffer, key: crypto.KeyObject, names: AltNames): Buffer {
    const san = subjectAltNameValue(names);
    const attributes = san
        ? der.tlv(0xa0, der.sequence(der.oid("1.2.840.113549.1.9.14"), der.set(der.sequence(extension("2.5.29.17", false, san)))))
        : der.tlv(0xa0, Buffer.alloc(0));
    const info = der.sequence(der.integer(0), subjectName, spkiOf(key), attributes);
    return signed(info, key);
}

export interface ParsedRequest {
    readonly subjectName: Buffer;
    readonly spki: Buffer;
    readonly subjectAltName?: Buffer;
}

/** Reads a PKCS#10 request and checks its self-signature, as the provider does. */
export function parseCertificateRequest(csrDer: Buffer): ParsedRequest {
    const root = der.read(csrDer);
    const [info, , signature] = root.children;
    const [, subject, spki, attrs] = info.children;
    const publicKey = crypto.createPublicKey({ key: spki.raw, format: "der", type: "spki" });
    // A request is signed by its own key, with the digest Go picks for that key type.
    const { hash } = signatureAlgorithm(publicKey);
    if (!crypto.verify(hash, info.raw, publicKey, signature.content.subarray(1))) {
        throw new Error("certificate request signature does not verify");
    }
    let subjectAltName: Buffer | undefined;
    for (const attr of attrs?.children ?? []) {
        if (der.readOid(attr.children[0]) !== "1.2.840.113549.1.9.14") continue;
        for (const ext of attr.children[1].children[0].children) {
            if (der.readOid(ext.children[0]) === "2.5.29.17") subjectAltName = ext.children[ext.children.length - 1].content;
        }
    }
    return { subjectName: subject.raw, spki: spki.raw, subjectAltName };
}

export interface ParsedCertificate {
    readonly subjectName: Buffer;
    readonly subjectKeyId?: Buffer;
    readonly isCa: boolean;
}

export function parseCertificate(certDer: Buffer): ParsedCertificate {
    const tbs = der.read(certDer).children[0];
    const fields = tbs.children[0].tag === 0xa0 ? tbs.children.slice(1) : tbs.children;
    const subjectName = fields[4].raw;
    let ski: Buffer | undefined;
    const extWrapper = fields.find((f) => f.tag === 0xa3);
    for (const ext of extWrapper?.children[0].children ?? []) {
        if (der.readOid(ext.children[0]) === "2.5.29.14") ski = der.read(ext.children[ext.children.length - 1].content).content;
    }
    return { subjectName, subjectKeyId: ski, isCa: new crypto.X509Certificate(certDer).ca };
}
