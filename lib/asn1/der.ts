// A small DER (ASN.1 Distinguished Encoding Rules) encoder and reader.
//
// Node's crypto can sign, hash and parse X.509 but cannot write PKCS#12 or
// certificates. The keystores must be byte-for-byte reproducible from their
// inputs (a second `pulumi up` must show no diff), which rules out tools that
// pick fresh random salts. So we write the few structures we need ourselves.

export type Der = Buffer;

function encodeLength(length: number): Buffer {
    if (length < 0x80) {
        return Buffer.from([length]);
    }
    const bytes: number[] = [];
    let rest = length;
    while (rest > 0) {
        bytes.unshift(rest & 0xff);
        rest = Math.floor(rest / 256);
    }
    return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** A TLV with an explicit identifier octet. */
export function tlv(tag: number, content: Buffer): Der {
    return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

export const sequence = (...items: Der[]): Der => tlv(0x30, Buffer.concat(items));

/** SET OF: DER requires the encodings sorted as octet strings. */
export const set = (...items: Der[]): Der => tlv(0x31, Buffer.concat([...items].sort(Buffer.compare)));

export const nullValue = (): Der => Buffer.from([0x05, 0x00]);

export const boolean = (value: boolean): Der => tlv(0x01, Buffer.from([value ? 0xff : 0x00]));

/** INTEGER from a non-negative number, bigint or big-endian unsigned bytes. */
export function integer(value: number | bigint | Buffer): Der {
    let bytes: Buffer;
    if (Buffer.isBuffer(value)) {
        bytes = value;
    } else {
        let hex = BigInt(value).toString(16);
        if (hex.length % 2) hex = "0" + hex;
        bytes = Buffer.from(hex, "hex");
    }
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start++;
    bytes = bytes.subarray(start);
    if (bytes.length === 0) bytes = Buffer.from([0]);
    if (bytes[0] & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
    return tlv(0x02, bytes);
}

export function oid(dotted: string): Der {
    const arcs = dotted.split(".").map((a) => BigInt(a));
    if (arcs.length < 2) throw new Error(`invalid OID ${dotted}`);
    const out: number[] = [];
    const push = (arc: bigint) => {
        const chunk: number[] = [Number(arc & 0x7fn)];
        arc >>= 7n;
        while (arc > 0n) {
            chunk.unshift(Number(arc & 0x7fn) | 0x80);
            arc >>= 7n;
        }
        out.push(...chunk);
    };
    push(arcs[0] * 40n + arcs[1]);
    arcs.slice(2).forEach(push);
    return tlv(0x06, Buffer.from(out));
}

export const octetString = (bytes: Buffer): Der => tlv(0x04, bytes);
export const bitString = (bytes: Buffer, unusedBits = 0): Der => tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), bytes]));
export const utf8String = (text: string): Der => tlv(0x0c, Buffer.from(text, "utf8"));
export const printableString = (text: string): Der => tlv(0x13, Buffer.from(text, "ascii"));
export const ia5String = (text: string): Der => tlv(0x16, Buffer.from(text, "ascii"));

/** BMPString: UTF-16 big-endian, as PKCS#12 friendly names use. */
export function bmpString(text: string): Der {
    const le = Buffer.from(text, "utf16le");
    const be = Buffer.alloc(le.length);
    for (let i = 0; i < le.length; i += 2) {
        be[i] = le[i + 1];
        be[i + 1] = le[i];
    }
    return tlv(0x1e, be);
}

/** X.509 times: UTCTime up to 2049, GeneralizedTime from 2050 (RFC 5280 4.1.2.5). */
export function time(date: Date): Der {
    const iso = date.toISOString(); // 2026-11-23T13:59:13.000Z
    const digits = iso.slice(0, 19).replace(/[-:T]/g, "");
    const year = date.getUTCFullYear();
    if (year >= 1950 && year < 2050) {
        return tlv(0x17, Buffer.from(digits.slice(2) + "Z", "ascii"));
    }
    return tlv(0x18, Buffer.from(digits + "Z", "ascii"));
}

/** [n] EXPLICIT: a constructed context-specific wrapper. */
export const explicit = (n: number, inner: Der): Der => tlv(0xa0 | n, inner);

/** [n] IMPLICIT: re-tags an encoding, keeping its content. */
export function implicit(n: number, encoded: Der, constructed: boolean): Der {
    const node = read(encoded);
    return tlv((constructed ? 0xa0 : 0x80) | n, node.content);
}

// ---------------------------------------------------------------------------
// Reading

export interface DerNode {
    /** The identifier octet (class, constructed bit and tag number). */
    readonly tag: number;
    readonly content: Buffer;
    /** The whole encoding, header included. */
    readonly raw: Buffer;
    readonly children: DerNode[];
}

function readAt(buf: Buffer, offset: number): { node: DerNode; next: number } {
    const tag = buf[offset];
    if (tag === undefined) throw new Error("DER: unexpected end of input");
    if ((tag & 0x1f) === 0x1f) throw new Error("DER: high tag numbers are not supported");
    let length = buf[offset + 1];
    let pos = offset + 2;
    if (length === undefined) throw new Error("DER: truncated length");
    if (length & 0x80) {
        const count = length & 0x7f;
        if (count === 0 || count > 4) throw new Error("DER: unsupported length encoding");
        length = 0;
        for (let i = 0; i < count; i++) length = length * 256 + buf[pos + i];
        pos += count;
    }
    const end = pos + length;
    if (end > buf.length) throw new Error("DER: length runs past the end of input");
    const content = buf.subarray(pos, end);
    const children: DerNode[] = [];
    if (tag & 0x20) {
        let p = 0;
        while (p < content.length) {
            const r = readAt(content, p);
            children.push(r.node);
            p = r.next;
        }
    }
    return { node: { tag, content, raw: buf.subarray(offset, end), children }, next: end };
}

export function read(buf: Buffer): DerNode {
    const { node, next } = readAt(buf, 0);
    if (next !== buf.length) throw new Error("DER: trailing bytes after the outer element");
    return node;
}

export function readOid(node: DerNode): string {
    if (node.tag !== 0x06) throw new Error(`DER: expected OBJECT IDENTIFIER, found tag 0x${node.tag.toString(16)}`);
    const arcs: bigint[] = [];
    let value = 0n;
    for (const byte of node.content) {
        value = (value << 7n) | BigInt(byte & 0x7f);
        if (!(byte & 0x80)) {
            arcs.push(value);
            value = 0n;
        }
    }
    const first = arcs[0] < 80n ? arcs[0] / 40n : 2n;
    return [first, arcs[0] - first * 40n, ...arcs.slice(1)].join(".");
}

export function readTime(node: DerNode): Date {
    const text = node.content.toString("ascii");
    if (node.tag === 0x17) {
        const yy = Number(text.slice(0, 2));
        const year = yy < 50 ? 2000 + yy : 1900 + yy;
        return parseTimeDigits(String(year) + text.slice(2));
    }
    if (node.tag === 0x18) return parseTimeDigits(text);
    throw new Error(`DER: expected a time, found tag 0x${node.tag.toString(16)}`);
}

function parseTimeDigits(t: string): Date {
    const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(t);
    if (!m) throw new Error(`DER: unsupported time ${t}`);
    return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}

/** Converts a PEM block of the given label to DER. */
export function pemToDer(pem: string, label: string): Buffer {
    const re = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`);
    const m = re.exec(pem);
    if (!m) throw new Error(`expected a PEM block labelled ${label}`);
    return Buffer.from(m[1].replace(/\s+/g, ""), "base64");
}

/** All PEM blocks of the given label, in order. */
export function pemBlocks(pem: string, label: string): Buffer[] {
    const re = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, "g");
    return [...pem.matchAll(re)].map((m) => Buffer.from(m[1].replace(/\s+/g, ""), "base64"));
}

export function derToPem(der: Buffer, label: string): string {
    const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
    return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
