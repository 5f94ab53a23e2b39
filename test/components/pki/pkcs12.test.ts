import * as assert from "assert";
import { buildKeystore, buildTruststore, pkcs12Kdf } from "../../../components/pki/pkcs12";
import { secretChecksum, secretKeysFor, serviceSecretData } from "../../../components/pki/secretLayout";
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

describe("service Secret layout", () => {
    const ca = newCa("Test CA");
    const leaf = issue(ca, { commonName: "spin-dinghy" });

    it("PEM services get certificate, key and CA; Java services add stores and passwords", () => {
        const pem = serviceSecretData({ format: "pem", alias: "dinghy", privateKeyPem: leaf.keyPem, certificatePem: leaf.certPem, caCertificatePem: ca.certPem });
        assert.deepStrictEqual(Object.keys(pem).sort(), secretKeysFor("pem").sort());
        const java = serviceSecretData({ format: "pkcs12", alias: "gate", privateKeyPem: leaf.keyPem, certificatePem: leaf.certPem, caCertificatePem: ca.certPem, keystorePassword: "keystore-pass-1", truststorePassword: "truststore-pass-1" });
        assert.deepStrictEqual(Object.keys(java).sort(), secretKeysFor("pkcs12").sort());
        assert.strictEqual(Buffer.from(java["keystore-password"], "base64").toString(), "keystore-pass-1");
    });

    it("a Java service without passwords is a programming error, said plainly", () => {
        assert.throws(() => serviceSecretData({ format: "pkcs12", alias: "gate", privateKeyPem: leaf.keyPem, certificatePem: leaf.certPem, caCertificatePem: ca.certPem }), /gate: Java services need keystore and truststore passwords/);
    });

    it("the checksum changes with any file and ignores key order", () => {
        const a = { "tls.crt": "YQ==", "tls.key": "Yg==" };
        assert.strictEqual(secretChecksum(a), secretChecksum({ "tls.key": "Yg==", "tls.crt": "YQ==" }));
        assert.notStrictEqual(secretChecksum(a), secretChecksum({ ...a, "tls.key": "Yw==" }));
    });
});
