// Signatures that are the same bytes every time for the same key and data.
//
// The name-constrained CA certificate (nameConstrainedCa.ts) is signed inside
// the program, on every run: a second `pulumi up` must show no diff, so the
// signature may not change. RSA PKCS#1 v1.5 is deterministic already. ECDSA
// is not as Node signs it (a random nonce), so ECDSA here takes its nonce as
// RFC 6979 derives it from the key and the hash (HMAC_DRBG, section 3.2), and
// leaves the curve arithmetic to OpenSSL: the point k·G is the public key of
// the private scalar k, which Node's ECDH computes.
import * as crypto from "crypto";
import { integer, sequence } from "../../lib/asn1/der";

/** Signature algorithms by OID: the hash, and whether the key is RSA or ECDSA. */
const SIGNATURE_ALGORITHMS: Readonly<Record<string, { hash: "sha256" | "sha384" | "sha512"; key: "rsa" | "ec" }>> = {
    "1.2.840.113549.1.1.11": { hash: "sha256", key: "rsa" },
    "1.2.840.113549.1.1.12": { hash: "sha384", key: "rsa" },
    "1.2.840.113549.1.1.13": { hash: "sha512", key: "rsa" },
    "1.2.840.10045.4.3.2": { hash: "sha256", key: "ec" },
    "1.2.840.10045.4.3.3": { hash: "sha384", key: "ec" },
    "1.2.840.10045.4.3.4": { hash: "sha512", key: "ec" },
};

/** The curves the stack's keys may use (pkiConfig ECDSA_CURVES): Node's ECDH name and the group order n. */
const CURVES: Readonly<Record<string, { ecdh: string; n: bigint }>> = {
    "P-256": { ecdh: "prime256v1", n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n },
    "P-384": { ecdh: "secp384r1", n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n },
};

const toBigInt = (b: Buffer): bigint => (b.length === 0 ? 0n : BigInt("0x" + b.toString("hex")));

function toBytes(v: bigint, length: number): Buffer {
    const hex = v.toString(16).padStart(length * 2, "0");
    if (hex.length > length * 2) throw new Error("integer does not fit");
    return Buffer.from(hex, "hex");
}

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
    let result = 1n;
    let b = base % mod;
    for (let e = exp; e > 0n; e >>= 1n) {
        if (e & 1n) result = (result * b) % mod;
        b = (b * b) % mod;
    }
    return result;
}

const bitLength = (v: bigint): number => v.toString(2).length;

/**
 * RFC 6979 section 3.2: the nonces for private scalar `x` and message hash
 * `h1` over a group of order `n`, in the order the signer tries them.
 */
export function* rfc6979Nonces(x: bigint, h1: Buffer, n: bigint, hash: string): Generator<bigint> {
    const qlen = bitLength(n);
    const rlen = Math.ceil(qlen / 8);
    const bits2int = (b: Buffer): bigint => {
        const v = toBigInt(b);
        return b.length * 8 > qlen ? v >> BigInt(b.length * 8 - qlen) : v;
    };
    const z = bits2int(h1);
    const bits2octets = toBytes(z >= n ? z - n : z, rlen);
    const hmac = (key: Buffer, ...data: Buffer[]) => crypto.createHmac(hash, key).update(Buffer.concat(data)).digest();
    const hlen = crypto.createHash(hash).digest().length;
    let v = Buffer.alloc(hlen, 0x01);
    let k = Buffer.alloc(hlen, 0x00);
    k = hmac(k, v, Buffer.from([0x00]), toBytes(x, rlen), bits2octets);
    v = hmac(k, v);
    k = hmac(k, v, Buffer.from([0x01]), toBytes(x, rlen), bits2octets);
    v = hmac(k, v);
    for (;;) {
        let t = Buffer.alloc(0);
        while (t.length * 8 < qlen) {
            v = hmac(k, v);
            t = Buffer.concat([t, v]);
        }
        const candidate = bits2int(t);
        if (candidate >= 1n && candidate < n) yield candidate;
        k = hmac(k, v, Buffer.from([0x00]));
        v = hmac(k, v);
    }
}

/** ECDSA with the RFC 6979 nonce: the (r, s) pair. */
export function ecdsaSignDeterministic(data: Buffer, key: crypto.KeyObject, hash: string): { r: bigint; s: bigint } {
    const jwk = key.export({ format: "jwk" });
    const curve = jwk.crv ? CURVES[jwk.crv] : undefined;
    if (!curve || !jwk.d) throw new Error(`ECDSA key on curve ${jwk.crv ?? "unknown"}: only ${Object.keys(CURVES).join(", ")} private keys are supported`);
    const x = toBigInt(Buffer.from(jwk.d, "base64url"));
    const n = curve.n;
    const rlen = Math.ceil(bitLength(n) / 8);
    const h1 = crypto.createHash(hash).update(data).digest();
    // e: the leftmost bits of the hash, as many as n has (FIPS 186-4 6.4).
    const e = h1.length * 8 > bitLength(n) ? toBigInt(h1) >> BigInt(h1.length * 8 - bitLength(n)) : toBigInt(h1);
    const ecdh = crypto.createECDH(curve.ecdh);
    for (const k of rfc6979Nonces(x, h1, n, hash)) {
        ecdh.setPrivateKey(toBytes(k, rlen));
        const point = ecdh.getPublicKey(); // 04 || X || Y
        const r = toBigInt(point.subarray(1, 1 + rlen)) % n;
        if (r === 0n) continue;
        const s = (modPow(k, n - 2n, n) * ((e + r * x) % n)) % n;
        if (s === 0n) continue;
        return { r, s };
    }
    throw new Error("unreachable");
}

/**
 * The signature of `data` by `keyPem` with the X.509 signature algorithm
 * `algorithmOid`, as a certificate's signatureValue holds it (ECDSA as the
 * DER SEQUENCE of r and s). The same inputs give the same bytes. It checks
 * its own result with OpenSSL's verifier before returning it.
 */
export function signDeterministically(data: Buffer, keyPem: string, algorithmOid: string): Buffer {
    const algorithm = SIGNATURE_ALGORITHMS[algorithmOid];
    if (!algorithm) throw new Error(`signature algorithm ${algorithmOid} is not one the CA's keys use (${Object.keys(SIGNATURE_ALGORITHMS).join(", ")})`);
    const key = crypto.createPrivateKey(keyPem);
    const keyKind = key.asymmetricKeyType === "rsa" ? "rsa" : key.asymmetricKeyType === "ec" ? "ec" : key.asymmetricKeyType;
    if (keyKind !== algorithm.key) throw new Error(`a ${key.asymmetricKeyType} key cannot sign with ${algorithmOid}`);
    let signature: Buffer;
    if (algorithm.key === "rsa") {
        signature = crypto.sign(algorithm.hash, data, { key, padding: crypto.constants.RSA_PKCS1_PADDING });
    } else {
        const { r, s } = ecdsaSignDeterministic(data, key, algorithm.hash);
        signature = sequence(integer(r), integer(s));
    }
    if (!crypto.verify(algorithm.hash, data, { key: crypto.createPublicKey(key), ...(algorithm.key === "rsa" ? { padding: crypto.constants.RSA_PKCS1_PADDING } : {}) }, signature)) {
        throw new Error("the deterministic signature does not verify");
    }
    return signature;
}
