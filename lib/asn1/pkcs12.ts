// PKCS#12 keystores and truststores that Java 17+, OpenSSL 3 (without the
// legacy provider) and keytool all read, written deterministically.
//
// Choices, and why:
// - Private keys are shrouded with PBES2 (PBKDF2-HMAC-SHA256 + AES-256-CBC)
//   and the file is MACed with HMAC-SHA256: the "modern" algorithms that
//   OpenSSL 3 reads without `-legacy` and Java reads since 11.0.12/17.
// - Trusted certificates carry Oracle's trusted-key-usage attribute. Java only
//   loads a certificate-only PKCS#12 bag as a trustedCertEntry when that
//   attribute is present; OpenSSL 3.0 omits it, and Java then sees an empty
//   truststore.
// - Salts and IVs are derived from the password and the content (HMAC), not
//   drawn at random, so the same key, certificates and password always give
//   the same bytes and Pulumi sees no diff on an unchanged stack.
import * as crypto from "crypto";
import * as der from "./der";

const OID = {
    data: "1.2.840.113549.1.7.1",
    pkcs8ShroudedKeyBag: "1.2.840.113549.1.12.10.1.2",
    certBag: "1.2.840.113549.1.12.10.1.3",
    x509Certificate: "1.2.840.113549.1.9.22.1",
    friendlyName: "1.2.840.113549.1.9.20",
    localKeyId: "1.2.840.113549.1.9.21",
    oracleTrustedKeyUsage: "2.16.840.1.113894.746875.1.1",
    anyExtendedKeyUsage: "2.5.29.37.0",
    pbes2: "1.2.840.113549.1.5.13",
    pbkdf2: "1.2.840.113549.1.5.12",
    hmacWithSha256: "1.2.840.113549.2.9",
    aes256Cbc: "2.16.840.1.101.3.4.1.42",
    sha256: "2.16.840.1.101.3.4.2.1",
} as const;

/** Iterations for PBKDF2 and the MAC key derivation (Java's and OpenSSL's own defaults are 10000 and 2048). */
export const PKCS12_ITERATIONS = 10000;

export interface KeystoreInput {
    /** The private key, PEM (PKCS#1, SEC1 or PKCS#8). */
    readonly privateKeyPem: string;
    /** The leaf certificate first, then its issuers. */
    readonly certificateChainPem: string;
    readonly password: string;
    /** The entry's alias (friendly name), as keytool lists it. */
    readonly alias: string;
}

export interface TruststoreInput {
    /** One or more CA certificates, PEM. */
    readonly caCertificatesPem: string;
    readonly password: string;
    /** Alias of the first certificate; later ones get `-1`, `-2`, ... */
    readonly alias: string;
}

export function assertUsablePassword(password: string): void {
    // Java encodes PBES2 passwords as UTF-8 and the MAC password as UTF-16;
    // OpenSSL does the same. Printable ASCII is where both agree byte for byte.
    if (password.length < 8 || !/^[\x21-\x7e]+$/.test(password)) {
        throw new Error("PKCS#12 password must be at least 8 printable ASCII characters without spaces");
    }
}

function derive(password: string, label: string, content: Buffer, length: number): Buffer {
    return crypto.createHmac("sha256", password).update(label).update(content).digest().subarray(0, length);
}

function attribute(type: string, value: Buffer): Buffer {
    return der.sequence(der.oid(type), der.set(value));
}

function contentInfoData(content: Buffer): Buffer {
    return der.sequence(der.oid(OID.data), der.explicit(0, der.octetString(content)));
}

function certBag(certDer: Buffer, attributes: Buffer[]): Buffer {
    const value = der.sequence(der.oid(OID.x509Certificate), der.explicit(0, der.octetString(certDer)));
    return der.sequence(der.oid(OID.certBag), der.explicit(0, value), der.set(...attributes));
}

function shroudedKeyBag(pkcs8: Buffer, password: string, attributes: Buffer[]): Buffer {
    const salt = derive(password, "pbes2-salt", pkcs8, 16);
    const iv = derive(password, "pbes2-iv", pkcs8, 16);
    const key = crypto.pbkdf2Sync(Buffer.from(password, "utf8"), salt, PKCS12_ITERATIONS, 32, "sha256");
    const cipher = crypto.createCipheriv("aes-256-cbc", key, iv);
    const encrypted = Buffer.concat([cipher.update(pkcs8), cipher.final()]);
    const algorithm = der.sequence(
        der.oid(OID.pbes2),
        der.sequence(
            der.sequence(
                der.oid(OID.pbkdf2),
                der.sequence(
                    der.octetString(salt),
                    der.integer(PKCS12_ITERATIONS),
                    der.integer(32),
                    der.sequence(der.oid(OID.hmacWithSha256), der.nullValue()),
                ),
            ),
            der.sequence(der.oid(OID.aes256Cbc), der.octetString(iv)),
        ),
    );
    const encryptedPrivateKeyInfo = der.sequence(algorithm, der.octetString(encrypted));
    return der.sequence(der.oid(OID.pkcs8ShroudedKeyBag), der.explicit(0, encryptedPrivateKeyInfo), der.set(...attributes));
}

/** The PKCS#12 key derivation function (RFC 7292, appendix B.2) with SHA-256. */
export function pkcs12Kdf(password: string, salt: Buffer, id: number, iterations: number, length: number): Buffer {
    const u = 32;
    const v = 64;
    const bmp = Buffer.alloc(password.length * 2 + 2);
    for (let i = 0; i < password.length; i++) bmp.writeUInt16BE(password.charCodeAt(i), i * 2);
    const stretch = (data: Buffer) => {
        if (data.length === 0) return Buffer.alloc(0);
        const out = Buffer.alloc(v * Math.ceil(data.length / v));
        for (let i = 0; i < out.length; i++) out[i] = data[i % data.length];
        return out;
    };
    const D = Buffer.alloc(v, id);
    const I = Buffer.concat([stretch(salt), stretch(bmp)]);
    const blocks: Buffer[] = [];
    for (let produced = 0; produced < length; produced += u) {
        let A = crypto.createHash("sha256").update(D).update(I).digest();
        // crypto.hash: the same digest without a Hash object per round (3x faster here).
        for (let r = 1; r < iterations; r++) A = crypto.hash("sha256", A, "buffer");
        blocks.push(A);
        const B = stretch(A).subarray(0, v);
        for (let j = 0; j < I.length; j += v) {
            let carry = 1;
            for (let k = v - 1; k >= 0; k--) {
                const sum = I[j + k] + B[k] + carry;
                I[j + k] = sum & 0xff;
                carry = sum >> 8;
            }
        }
    }
    return Buffer.concat(blocks).subarray(0, length);
}

function pfx(safeContentsList: Buffer[], password: string): Buffer {
    const authenticatedSafe = der.sequence(...safeContentsList.map(contentInfoData));
    const macSalt = derive(password, "mac-salt", authenticatedSafe, 16);
    const macKey = pkcs12Kdf(password, macSalt, 3, PKCS12_ITERATIONS, 32);
    const mac = crypto.createHmac("sha256", macKey).update(authenticatedSafe).digest();
    const macData = der.sequence(
        der.sequence(der.sequence(der.oid(OID.sha256), der.nullValue()), der.octetString(mac)),
        der.octetString(macSalt),
        der.integer(PKCS12_ITERATIONS),
    );
    return der.sequence(der.integer(3), contentInfoData(authenticatedSafe), macData);
}

/** A PKCS#12 keystore with one PrivateKeyEntry: the key and its certificate chain. */
export function buildKeystore(input: KeystoreInput): Buffer {
    assertUsablePassword(input.password);
    const chain = der.pemBlocks(input.certificateChainPem, "CERTIFICATE");
    if (chain.length === 0) throw new Error("keystore: certificateChainPem holds no certificate");
    const key = crypto.createPrivateKey(input.privateKeyPem);
    const leaf = new crypto.X509Certificate(chain[0]);
    if (!leaf.checkPrivateKey(key)) throw new Error("keystore: the private key does not match the leaf certificate");
    const pkcs8 = key.export({ type: "pkcs8", format: "der" });
    const localKeyId = crypto.createHash("sha1").update(chain[0]).digest();
    const entryAttributes = [
        attribute(OID.friendlyName, der.bmpString(input.alias)),
        attribute(OID.localKeyId, der.octetString(localKeyId)),
    ];
    const keyContents = der.sequence(shroudedKeyBag(pkcs8, input.password, entryAttributes));
    const certContents = der.sequence(
        certBag(chain[0], entryAttributes),
        ...chain.slice(1).map((c) => certBag(c, [])),
    );
    return pfx([certContents, keyContents], input.password);
}

/** A PKCS#12 truststore: each CA certificate as a trustedCertEntry. */
export function buildTruststore(input: TruststoreInput): Buffer {
    const cas = der.pemBlocks(input.caCertificatesPem, "CERTIFICATE");
    if (cas.length === 0) throw new Error("truststore: caCertificatesPem holds no certificate");
    return buildTruststoreFromEntries(
        cas.map((certDer, i) => ({ alias: i === 0 ? input.alias : `${input.alias}-${i}`, certDer })),
        input.password,
    );
}

export interface TrustedEntry {
    readonly alias: string;
    readonly certDer: Buffer;
}

/** A PKCS#12 truststore with one trustedCertEntry per entry, in the order given. */
export function buildTruststoreFromEntries(entries: readonly TrustedEntry[], password: string): Buffer {
    assertUsablePassword(password);
    if (entries.length === 0) throw new Error("truststore: no certificate to trust");
    const aliases = new Set<string>();
    for (const e of entries) {
        if (aliases.has(e.alias)) throw new Error(`truststore: alias ${JSON.stringify(e.alias)} appears twice`);
        aliases.add(e.alias);
    }
    const bags = entries.map((e) =>
        certBag(e.certDer, [
            attribute(OID.friendlyName, der.bmpString(e.alias)),
            attribute(OID.oracleTrustedKeyUsage, der.oid(OID.anyExtendedKeyUsage)),
        ]),
    );
    return pfx([der.sequence(...bags)], password);
}
