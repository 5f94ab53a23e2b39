// The DER reader, judged by OpenSSL: for certificates with known extensions,
// the key usages and basic constraints it reads are the ones
// `openssl x509 -ext` prints.
import * as assert from "assert";
import * as childProcess from "child_process";
import * as crypto from "crypto";
import { basicConstraints, keyUsages, readTlv } from "../../../lib/asn1/derReader";
import { emulatorFor } from "../../../engine/providers";

const ctx = { name: "t", type: "t", now: new Date() };
function cert(opts: { isCa: boolean; uses: string[]; maxPathLength?: number }): crypto.X509Certificate {
    const key = emulatorFor("tls:index/privateKey:PrivateKey")!.create({ algorithm: "ECDSA", ecdsaCurve: "P256" }, ctx).outputs;
    const out = emulatorFor("tls:index/selfSignedCert:SelfSignedCert")!.create(
        { privateKeyPem: key.privateKeyPem, isCaCertificate: opts.isCa, allowedUses: opts.uses, subject: { commonName: "t" }, validityPeriodHours: 1, ...(opts.maxPathLength !== undefined ? { maxPathLength: opts.maxPathLength } : {}) },
        ctx,
    ).outputs;
    return new crypto.X509Certificate(out.certPem as string);
}

/** What OpenSSL prints for the two extensions, as lists of words. */
function openssl(c: crypto.X509Certificate): { usages: string[]; ca: boolean; pathLen?: number } {
    const r = childProcess.spawnSync("openssl", ["x509", "-noout", "-ext", "keyUsage,basicConstraints"], { input: c.toString(), encoding: "utf8" });
    assert.strictEqual(r.status, 0, r.stderr);
    const usageLine = /X509v3 Key Usage:.*\n\s+(.*)/.exec(r.stdout)?.[1] ?? "";
    const names: Record<string, string> = { "Digital Signature": "digitalSignature", "Certificate Sign": "keyCertSign", "CRL Sign": "cRLSign", "Key Encipherment": "keyEncipherment" };
    const bc = /X509v3 Basic Constraints:.*\n\s+(.*)/.exec(r.stdout)?.[1] ?? "";
    const pathLen = /pathlen:(\d+)/.exec(bc)?.[1];
    return { usages: usageLine.split(", ").filter(Boolean).map((u) => names[u] ?? u), ca: /CA:TRUE/.test(bc), ...(pathLen !== undefined ? { pathLen: Number(pathLen) } : {}) };
}

describe("DER reader", () => {
    it("reads a CA's key usage and basic constraints as OpenSSL does", () => {
        const c = cert({ isCa: true, uses: ["cert_signing", "crl_signing"], maxPathLength: 2 });
        const o = openssl(c);
        assert.deepStrictEqual(o.usages, ["keyCertSign", "cRLSign"], "OpenSSL's own reading (the control)");
        assert.deepStrictEqual(keyUsages(c.raw), o.usages);
        assert.strictEqual(o.pathLen, 2, "OpenSSL reads the path length the CA was made with");
        assert.deepStrictEqual(basicConstraints(c.raw), { ca: o.ca, pathLen: o.pathLen });
    });

    it("reads a leaf's", () => {
        const c = cert({ isCa: false, uses: ["digital_signature", "key_encipherment", "server_auth"] });
        const o = openssl(c);
        assert.deepStrictEqual(keyUsages(c.raw), o.usages);
        assert.strictEqual(basicConstraints(c.raw)?.ca ?? false, o.ca);
    });

    it("refuses a length that runs past its parent", () => {
        assert.throws(() => readTlv(Buffer.from([0x30, 0x05, 0x02, 0x01]), 0), /runs past its parent/);
    });
});
