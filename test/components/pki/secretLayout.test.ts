import * as assert from "assert";
import { secretChecksum, secretKeysFor, serviceSecretData } from "../../../components/pki/secretLayout";
import { issue, newCa } from "../../support/pki";

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
