// Reading DER, as much as judging an imported certificate needs: its
// extensions (key usage, basic constraints, name constraints), which Node's
// X509Certificate does not expose. Strict: a length that runs past its
// parent is an error, never a guess.

export interface Tlv {
    readonly tag: number;
    /** Offset of the value's first byte in the buffer. */
    readonly start: number;
    /** Offset just past the value. */
    readonly end: number;
}

/** The TLV at `offset` (single-byte tags, definite lengths: what DER allows for certificates). */
export function readTlv(der: Buffer, offset: number, limit = der.length): Tlv {
    if (offset + 2 > limit) throw new Error(`DER: truncated at ${offset}`);
    const tag = der[offset];
    let len = der[offset + 1];
    let start = offset + 2;
    if (len & 0x80) {
        const n = len & 0x7f;
        if (n === 0 || n > 4 || start + n > limit) throw new Error(`DER: bad length at ${offset}`);
        len = 0;
        for (let i = 0; i < n; i++) len = len * 256 + der[start + i];
        start += n;
    }
    if (start + len > limit) throw new Error(`DER: value at ${offset} runs past its parent`);
    return { tag, start, end: start + len };
}

/** The TLVs inside a constructed TLV. */
export function children(der: Buffer, parent: Tlv): Tlv[] {
    const out: Tlv[] = [];
    for (let at = parent.start; at < parent.end; ) {
        const t = readTlv(der, at, parent.end);
        out.push(t);
        at = t.end;
    }
    return out;
}

/** Dotted form of an OBJECT IDENTIFIER's value bytes. */
export function oidString(bytes: Buffer): string {
    const arcs: number[] = [];
    let v = 0;
    for (const b of bytes) {
        v = v * 128 + (b & 0x7f);
        if (!(b & 0x80)) {
            arcs.push(v);
            v = 0;
        }
    }
    const first = arcs.shift() ?? 0;
    const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
    return [...head, ...arcs].join(".");
}

export interface Extension {
    readonly critical: boolean;
    /** The extension's value: the DER inside its OCTET STRING. */
    readonly value: Buffer;
}

/** A certificate's extensions by OID (RFC 5280 4.1: tbsCertificate's [3] EXPLICIT Extensions). */
export function certificateExtensions(certDer: Buffer): Map<string, Extension> {
    const cert = readTlv(certDer, 0);
    const tbs = children(certDer, cert)[0];
    const explicit = children(certDer, tbs).find((t) => t.tag === 0xa3);
    const out = new Map<string, Extension>();
    if (!explicit) return out;
    const list = children(certDer, explicit)[0];
    for (const ext of children(certDer, list)) {
        const parts = children(certDer, ext);
        const oid = oidString(certDer.subarray(parts[0].start, parts[0].end));
        const critical = parts.length === 3 && parts[1].tag === 0x01 && certDer[parts[1].start] !== 0;
        const octets = parts[parts.length - 1];
        out.set(oid, { critical, value: certDer.subarray(octets.start, octets.end) });
    }
    return out;
}

/** Key usage bits by name (RFC 5280 4.2.1.3). */
const KEY_USAGE_BITS = ["digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment", "keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly"];

/** The key usages a certificate declares, or undefined when it has no keyUsage extension (every use allowed). */
export function keyUsages(certDer: Buffer): string[] | undefined {
    const ext = certificateExtensions(certDer).get("2.5.29.15");
    if (!ext) return undefined;
    const bits = readTlv(ext.value, 0);
    const bytes = ext.value.subarray(bits.start + 1, bits.end);
    return KEY_USAGE_BITS.filter((_, i) => i < bytes.length * 8 && (bytes[i >> 3] & (0x80 >> (i & 7))) !== 0);
}

/** basicConstraints: whether it says CA and its pathLenConstraint, or undefined without the extension. */
export function basicConstraints(certDer: Buffer): { ca: boolean; pathLen?: number } | undefined {
    const ext = certificateExtensions(certDer).get("2.5.29.19");
    if (!ext) return undefined;
    const parts = children(ext.value, readTlv(ext.value, 0));
    let ca = false;
    let pathLen: number | undefined;
    for (const p of parts) {
        if (p.tag === 0x01) ca = ext.value[p.start] !== 0;
        if (p.tag === 0x02) pathLen = ext.value.subarray(p.start, p.end).reduce((v, b) => v * 256 + b, 0);
    }
    return { ca, ...(pathLen !== undefined ? { pathLen } : {}) };
}
