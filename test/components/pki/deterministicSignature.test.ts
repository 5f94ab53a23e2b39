import * as assert from "assert";
import * as crypto from "crypto";
import { ecdsaSignDeterministic, rfc6979Nonces, signDeterministically } from "../../../components/pki/deterministicSignature";
import { read } from "../../../lib/asn1/der";

// RFC 6979 appendix A.2.5: ECDSA on P-256, private key x and public key (Ux, Uy).
const RFC_P256 = {
    x: "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721",
    ux: "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6",
    uy: "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299",
};
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const b64url = (hex: string) => Buffer.from(hex, "hex").toString("base64url");
const rfcKey = () => crypto.createPrivateKey({ key: { kty: "EC", crv: "P-256", d: b64url(RFC_P256.x), x: b64url(RFC_P256.ux), y: b64url(RFC_P256.uy) }, format: "jwk" });

describe("deterministic signatures (the name-constrained CA's)", () => {
    it("derives RFC 6979's nonce and signature for P-256 with SHA-256, messages \"sample\" and \"test\" (appendix A.2.5)", () => {
        const h1 = crypto.createHash("sha256").update("sample").digest();
        const first = rfc6979Nonces(BigInt("0x" + RFC_P256.x), h1, P256_N, "sha256").next().value as bigint;
        assert.strictEqual(first.toString(16), "a6e3c57dd01abe90086538398355dd4c3b17aa873382b0f24d6129493d8aad60");
        const sample = ecdsaSignDeterministic(Buffer.from("sample"), rfcKey(), "sha256");
        assert.strictEqual(sample.r.toString(16), "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716");
        assert.strictEqual(sample.s.toString(16), "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8");
        const test = ecdsaSignDeterministic(Buffer.from("test"), rfcKey(), "sha256");
        assert.strictEqual(test.r.toString(16), "f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367");
        assert.strictEqual(test.s.toString(16).padStart(64, "0"), "019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083");
    });

    for (const [label, options, oid, hash] of [
        ["ECDSA P-256", { namedCurve: "P-256" }, "1.2.840.10045.4.3.2", "sha256"],
        ["ECDSA P-384", { namedCurve: "P-384" }, "1.2.840.10045.4.3.3", "sha384"],
        ["RSA 2048", { modulusLength: 2048 }, "1.2.840.113549.1.1.11", "sha256"],
    ] as const) {
        it(`${label}: the same bytes twice, a different signature for other data, and Node's verifier accepts it`, () => {
            const { privateKey, publicKey } = "namedCurve" in options ? crypto.generateKeyPairSync("ec", options) : crypto.generateKeyPairSync("rsa", options);
            const pem = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
            const data = Buffer.from("to be signed");
            const one = signDeterministically(data, pem, oid);
            assert.ok(one.equals(signDeterministically(data, pem, oid)));
            assert.ok(!one.equals(signDeterministically(Buffer.from("other"), pem, oid)));
            assert.ok(crypto.verify(hash, data, publicKey, one));
            if (label.startsWith("ECDSA")) assert.strictEqual(read(one).children.length, 2, "a DER SEQUENCE of r and s");
        });
    }

    it("refuses a key that does not fit the algorithm, and an algorithm no CA key here uses", () => {
        const ec = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }) as string;
        assert.throws(() => signDeterministically(Buffer.from("x"), ec, "1.2.840.113549.1.1.11"), /a ec key cannot sign with 1.2.840.113549.1.1.11/);
        assert.throws(() => signDeterministically(Buffer.from("x"), ec, "1.2.840.10040.4.3"), /signature algorithm 1.2.840.10040.4.3 is not one the CA's keys use/);
        const p521 = crypto.generateKeyPairSync("ec", { namedCurve: "P-521" }).privateKey.export({ type: "pkcs8", format: "pem" }) as string;
        assert.throws(() => signDeterministically(Buffer.from("x"), p521, "1.2.840.10045.4.3.4"), /curve P-521: only P-256, P-384 private keys are supported/);
    });
});
