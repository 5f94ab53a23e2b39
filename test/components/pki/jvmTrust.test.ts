import * as assert from "assert";
import * as childProcess from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as tls from "tls";
import { SPINNAKER_CA_ALIAS, buildJvmTruststore, jvmTrustEntries } from "../../../components/pki/jvmTrust";
import { newCa } from "../../support/pki";
import { tempDir } from "../../support/stacks";

describe("the JVM-wide trust store", () => {
    const spinnaker = newCa("Spinnaker mTLS root CA");
    const corporate = newCa("Corporate CA");

    it("holds the Spinnaker CA first, then extra CAs, then every bundled public root, each once", () => {
        const entries = jvmTrustEntries({ spinnakerCaPem: spinnaker.certPem, extraCasPem: [corporate.certPem, corporate.certPem] });
        assert.strictEqual(entries[0].alias, SPINNAKER_CA_ALIAS);
        assert.match(entries[1].alias, /^extra-[0-9a-f]{16}$/);
        assert.strictEqual(entries.length, 2 + tls.rootCertificates.length);
        assert.ok(entries.slice(2).every((e) => e.alias.startsWith("public-")));
        assert.strictEqual(new Set(entries.map((e) => e.alias)).size, entries.length);
    });

    it("is byte-for-byte the same for the same inputs", () => {
        const a = buildJvmTruststore({ spinnakerCaPem: spinnaker.certPem, extraCasPem: [corporate.certPem] }, "password-1234567");
        const b = buildJvmTruststore({ spinnakerCaPem: spinnaker.certPem, extraCasPem: [corporate.certPem] }, "password-1234567");
        assert.ok(a.equals(b));
    });

    it("is read by keytool as trustedCertEntry items, the Spinnaker CA among them", () => {
        const t = tempDir("jvm-trust");
        try {
            const file = path.join(t.dir, "truststore.p12");
            fs.writeFileSync(file, buildJvmTruststore({ spinnakerCaPem: spinnaker.certPem, extraCasPem: [corporate.certPem] }, "password-1234567"));
            const r = childProcess.spawnSync("keytool", ["-list", "-storetype", "PKCS12", "-keystore", file, "-storepass", "password-1234567"], { encoding: "utf8" });
            assert.strictEqual(r.status, 0, r.stderr);
            assert.match(r.stdout, new RegExp(`Your keystore contains ${tls.rootCertificates.length + 2} entries`));
            assert.strictEqual((r.stdout.match(/trustedCertEntry/g) ?? []).length, tls.rootCertificates.length + 2);
            assert.match(r.stdout, /^spinnaker-ca, .*trustedCertEntry,/m);
        } finally {
            t.remove();
        }
    });

    it("takes the stack's CA bundle (a root, then an imported intermediate), the root under spinnaker-ca, and refuses an empty one", () => {
        const entries = jvmTrustEntries({ spinnakerCaPem: spinnaker.certPem + corporate.certPem, publicRootsPem: [] });
        assert.strictEqual(entries.length, 2);
        assert.strictEqual(entries[0].alias, SPINNAKER_CA_ALIAS);
        assert.match(entries[1].alias, /^spinnaker-ca-[0-9a-f]{16}$/);
        assert.throws(() => jvmTrustEntries({ spinnakerCaPem: "" }), /spinnakerCaPem holds no certificate/);
    });
});
