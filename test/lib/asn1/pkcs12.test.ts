import * as assert from "assert";
import { buildKeystore, buildTruststore, pkcs12Kdf } from "../../../lib/asn1/pkcs12";
import { issue, newCa } from "../../support/pki";

describe("PKCS#12 builder", () => {
    const ca = newCa("Test CA");
    const leaf = issue(ca, { commonName: "spin-gate" });
    const keystore = (password: string) => buildKeystore({ privateKeyPem: leaf.keyPem, certificateChainPem: leaf.certPem + ca.certPem, password, alias: "gate" });

    it("gives the same bytes for the same key, chain and password", () => {
        assert.ok(keystore("password-one").equals(keystore("password-one")));
        assert.ok(buildTruststore({ caCertificatesPem: ca.certPem, password: "password-one", alias: "ca" }).equals(buildTruststore({ caCertificatesPem: ca.certPem, password: "password-one", alias: "ca" })));
    });

    it("gives different bytes for a different password", () => {
        assert.ok(!keystore("password-one").equals(keystore("password-two")));
    });

    it("refuses a key that does not belong to the leaf certificate", () => {
        const other = issue(ca, { commonName: "spin-orca" });
        assert.throws(() => buildKeystore({ privateKeyPem: other.keyPem, certificateChainPem: leaf.certPem, password: "password-one", alias: "gate" }), /the private key does not match the leaf certificate/);
    });

    it("refuses passwords Java and OpenSSL would not derive the same keys from", () => {
        assert.throws(() => keystore("short"), /at least 8 printable ASCII characters/);
        assert.throws(() => keystore("pässwörd-long"), /at least 8 printable ASCII characters/);
    });

    it("derives the MAC key with RFC 7292's KDF: different ids, salts and passwords give different keys", () => {
        const salt = Buffer.alloc(16, 1);
        const k = pkcs12Kdf("password-one", salt, 3, 10, 32);
        assert.strictEqual(k.length, 32);
        assert.ok(!k.equals(pkcs12Kdf("password-one", salt, 1, 10, 32)));
        assert.ok(!k.equals(pkcs12Kdf("password-two", salt, 3, 10, 32)));
        assert.ok(k.equals(pkcs12Kdf("password-one", Buffer.alloc(16, 1), 3, 10, 32)));
    });
});
