// What the rules read of an X.509 certificate beyond what Node's
// X509Certificate exposes: the OIDs of its extensions, read from the DER.
import { X509Certificate } from "crypto";

/** One DER element: its tag, and where its content lies. */
interface Element {
    tag: number;
    start: number;
    end: number;
}

function element(der: Buffer, at: number): Element {
    const tag = der[at];
    let length = der[at + 1];
    let start = at + 2;
    if (length & 0x80) {
        const bytes = length & 0x7f;
        length = 0;
        for (let i = 0; i < bytes; i++) length = length * 256 + der[start + i];
        start += bytes;
    }
    if (start + length > der.length) throw new Error("truncated DER");
    return { tag, start, end: start + length };
}

function children(der: Buffer, parent: Element): Element[] {
    const out: Element[] = [];
    for (let at = parent.start; at < parent.end; ) {
        const e = element(der, at);
        out.push(e);
        at = e.end;
    }
    return out;
}

function oid(der: Buffer, e: Element): string {
    const bytes = der.subarray(e.start, e.end);
    const parts = [Math.floor(bytes[0] / 40), bytes[0] % 40];
    let value = 0;
    for (const b of bytes.subarray(1)) {
        value = value * 128 + (b & 0x7f);
        if (!(b & 0x80)) {
            parts.push(value);
            value = 0;
        }
    }
    return parts.join(".");
}

/** The extension OIDs of a certificate, in order; throws on a certificate that is not DER. */
export function extensionOids(cert: X509Certificate): string[] {
    const der = cert.raw;
    const tbs = children(der, element(der, 0))[0];
    const extensions = children(der, tbs).find((e) => e.tag === 0xa3);
    if (!extensions) return [];
    const list = children(der, extensions)[0];
    return children(der, list).map((ext) => oid(der, children(der, ext)[0]));
}

export const NAME_CONSTRAINTS_OID = "2.5.29.30";

/** The PEM certificates of a bundle that parse (another rule, or the program, judges the rest). */
export const pemCertificates = (pem: string): X509Certificate[] =>
    (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).flatMap((b) => {
        try {
            return [new X509Certificate(b)];
        } catch {
            return [];
        }
    });

/** The dNSName subtrees of a certificate's nameConstraints; undefined when it has none. Throws on a DER it cannot walk. */
export function dnsNameConstraints(cert: X509Certificate): { permitted: string[]; excluded: string[] } | undefined {
    const der = cert.raw;
    const tbs = children(der, element(der, 0))[0];
    const extensions = children(der, tbs).find((e) => e.tag === 0xa3);
    if (!extensions) return undefined;
    const ext = children(der, children(der, extensions)[0]).find((x) => oid(der, children(der, x)[0]) === NAME_CONSTRAINTS_OID);
    if (!ext) return undefined;
    // Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
    const value = children(der, ext).at(-1)!;
    const nc = element(der, value.start);
    const out = { permitted: [] as string[], excluded: [] as string[] };
    for (const subtrees of children(der, nc)) {
        // [0] permittedSubtrees, [1] excludedSubtrees; each GeneralSubtree's base GeneralName, dNSName being [2] IA5String.
        const list = subtrees.tag === 0xa0 ? out.permitted : subtrees.tag === 0xa1 ? out.excluded : undefined;
        for (const subtree of list ? children(der, subtrees) : []) {
            const base = children(der, subtree)[0];
            if (base?.tag === 0x82) list!.push(der.subarray(base.start, base.end).toString("ascii").toLowerCase());
        }
    }
    return out;
}

/**
 * Whether a DNS name lies in a dNSName subtree, as OpenSSL and Go's
 * crypto/x509 match it: the name itself or any name under it; a subtree
 * written with a leading dot matches only the names under it.
 */
export function inDnsSubtree(name: string, subtree: string): boolean {
    const n = name.toLowerCase();
    if (subtree === "") return true;
    return subtree.startsWith(".") ? n.endsWith(subtree) : n === subtree || n.endsWith(`.${subtree}`);
}
