import * as assert from "assert";
import * as crypto from "crypto";
import { RunResult, summarize } from "../../engine/run";
import { emulatorFor, hashForState } from "../../engine/providers";
import { unwrap } from "../../engine/monitor";
import { SERVICE_CATALOG, ServiceName } from "../../lib/catalog/serviceCatalog";
import { ofType, run, stackRun } from "../support/stacks";

const HOUR = 3600_000;


describe("offline engine", () => {
    for (const stack of ["dev", "prod"]) {
        describe(`stack ${stack}`, () => {
            it("registers a CA, and per service and per Redis a certificate from the stack's backend; per Java service an argfile and its passwords", async () => {
                const result = await stackRun(stack);
                const services = Object.keys(unwrap(result.stackOutputs.serviceCertificates) as object) as ServiceName[];
                const java = services.filter((s) => SERVICE_CATALOG[s].runtime === "java").length;
                // The Spinnaker Redis always (in-cluster by default); the Go services' own only when one is enabled.
                const goRedis = services.some((s) => SERVICE_CATALOG[s].redis === "go") ? 1 : 0;
                const identities = services.length + 1 + goRedis;
                // The Go services' leaves come from the root in the program whatever the backend (go-yaml-tools presents no chain).
                const go = services.filter((s) => SERVICE_CATALOG[s].runtime === "go").length;
                assert.strictEqual(ofType(result, "tls:index/selfSignedCert:SelfSignedCert").length, 1);
                assert.strictEqual(ofType(result, "spinnaker-mtls:redis:RedisTls").length, 1 + goRedis);
                const secrets = ofType(result, "kubernetes:core/v1:Secret").length;
                const passwords = ofType(result, "random:index/randomPassword:RandomPassword").length;
                if (result.stackOutputs.certificateBackend === "pulumi") {
                    // Each identity's, and the issuing CA's under the root.
                    assert.strictEqual(ofType(result, "tls:index/locallySignedCert:LocallySignedCert").length, identities + 1);
                    assert.strictEqual(ofType(result, "tls:index/certRequest:CertRequest").length, identities + 1);
                    assert.strictEqual(ofType(result, "tls:index/privateKey:PrivateKey").length, identities + 2);
                    // TLS Secrets, one argfile per Java service, and the shared JVM trust store.
                    assert.strictEqual(secrets, identities + java + 1);
                    assert.strictEqual(passwords, 2 * java + 1);
                } else {
                    // cert-manager issues every other identity (and the ingress) in the cluster; the program keeps the
                    // root, the issuing CA cert-manager signs with, and the Go services' leaves.
                    assert.strictEqual(ofType(result, "tls:index/locallySignedCert:LocallySignedCert").length, 1 + go);
                    assert.strictEqual(ofType(result, "tls:index/privateKey:PrivateKey").length, 2 + go);
                    assert.strictEqual(ofType(result, "kubernetes:cert-manager.io/v1:Certificate").length, identities - go + 1);
                    // Per Java service a keystore password and an argfile; the CA for cert-manager; the JVM trust store;
                    // the CA trust bundle the services read beside cert-manager's certificates; the Go services' TLS.
                    assert.strictEqual(secrets, 2 * java + 1 + 1 + 1 + go);
                    assert.strictEqual(passwords, java + 1 + 1);
                }
                assert.ok(result.plan.every((s) => s.op === "create"));
            });

            it("writes a version 3 export with URNs qualified by their parents' types", async () => {
                const { export: e, stackOutputs } = await stackRun(stack);
                assert.strictEqual(e.version, 3);
                const urns = new Set(e.deployment.resources.map((r) => r.urn));
                for (const r of e.deployment.resources) {
                    assert.ok(r.urn.startsWith(`urn:pulumi:${stack}::spinnaker-mtls::`), r.urn);
                    if (r.parent) assert.ok(urns.has(r.parent), `parent of ${r.urn} is exported first`);
                }
                const [component, child, type] =
                    stackOutputs.certificateBackend === "pulumi"
                        ? ["spinnaker-mtls:pki:ServiceCertificate", "spin-gate-key", "tls:index/privateKey:PrivateKey"]
                        : ["spinnaker-mtls:certmanager:CertManagerCertificate", "spin-gate-certificate", "kubernetes:cert-manager.io/v1:Certificate"];
                const r = e.deployment.resources.find((x) => x.urn.endsWith(`::${child}`))!;
                // Inside the SpinnakerMtls component index.ts creates: each ancestor's type, the stack's aside.
                const root = "spinnaker-mtls:index:SpinnakerMtls";
                assert.strictEqual(r.urn, `urn:pulumi:${stack}::spinnaker-mtls::${root}$${component}$${type}::${child}`);
                assert.strictEqual(r.parent, `urn:pulumi:${stack}::spinnaker-mtls::${root}$${component}::spin-gate`);
            });

            it("keeps every private key and password out of the export's plain text", async () => {
                const { export: e } = await stackRun(stack);
                const textOut = JSON.stringify(e);
                assert.ok(!textOut.includes("PRIVATE KEY"), "a PEM private key is in plain text");
                for (const r of (await stackRun(stack)).resources.filter((x) => x.type === "random:index/randomPassword:RandomPassword")) {
                    const password = (unwrap(r.outputs) as { result: string }).result;
                    assert.ok(!textOut.includes(password), `password of ${r.urn} is in plain text`);
                }
            });

            it("exports only public values as stack outputs", async () => {
                const { export: e } = await stackRun(stack);
                const outputs = e.deployment.resources.find((r) => r.type === "pulumi:pulumi:Stack")!.outputs;
                const textOut = JSON.stringify(outputs);
                assert.ok(!textOut.includes("4dabf18193072939515e22adb298388d"), "no stack output is (or holds) a secret");
                assert.match(String(outputs.caCertificatePem), /^-----BEGIN CERTIFICATE-----/);
            });

            it("reports every resource unchanged when re-run on its own export, and exports the same bytes", async () => {
                const first = await stackRun(stack);
                const second = await run({ stack, previous: first.export });
                assert.deepStrictEqual(summarize(second.plan), { create: 0, update: 0, replace: 0, same: first.plan.length, delete: 0 });
                assert.strictEqual(JSON.stringify(second.export), JSON.stringify(first.export));
            });
        });
    }

    it("re-issues service certificates inside the renewal window, and keeps the CA", async () => {
        const first = await stackRun("dev");
        const certHours = 720; // Pulumi.dev.yaml
        const renewBefore = 168;
        const later = new Date(Date.now() + (certHours - renewBefore + 1) * HOUR);
        const second = await run({ stack: "dev", previous: first.export, now: later });
        const op = (suffix: string) => second.plan.find((s) => s.urn.endsWith(suffix))!.op;
        assert.strictEqual(op("::spin-gate-cert"), "replace");
        assert.strictEqual(op("::spin-gate-secret"), "update");
        assert.strictEqual(op("::spin-gate-key"), "same");
        assert.strictEqual(op("::spinnaker-ca-cert"), "same");
        assert.strictEqual(op("::spinnaker-ca-issuing-cert"), "same");
        // Every leaf; the issuing CA under the root is a LocallySignedCert too, and lives as long as the root.
        const leaves = (r: RunResult) => ofType(r, "tls:index/locallySignedCert:LocallySignedCert").filter((x) => !x.urn.endsWith("::spinnaker-ca-issuing-cert")).map((x) => (unwrap(x.outputs) as { certPem: string }).certPem);
        const before = leaves(first);
        const after = leaves(second);
        assert.strictEqual(after.length, before.length);
        assert.ok(after.every((c) => !before.includes(c)), "every service certificate is new");
    });

    it("replaces what a config change touches and nothing else", async () => {
        const first = await stackRun("dev");
        // Echo's HA split adds in-cluster SANs to its certificate, names the CA already permits. (An external
        // name, extraSans, re-signs the CA and so touches every store: test/components/spinnakerMtls/caNameConstraints.test.ts.)
        const second = await run({ stack: "dev", previous: first.export, config: { "spinnaker-mtls:haServices": '["echo"]' } });
        const changed = second.plan.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.urn.split("::").pop()}`);
        // Echo's new certificate changes its pod checksum in the SpinnakerService patch, which rolls Echo's pods.
        assert.deepStrictEqual(changed.sort(), ["replace spin-echo-cert", "replace spin-echo-csr", "update spin-echo-secret", "update spinnaker-spinnakerservice"]);
    });

    it("updates certificates in place when only renewBeforeHours changes: no certificate is reissued (upstream's earlyRenewalHours)", async () => {
        const first = await stackRun("dev");
        const second = await run({ stack: "dev", previous: first.export, config: { "spinnaker-mtls:renewBeforeHours": "100" } });
        const certs = second.plan.filter((s) => s.type.startsWith("tls:") && s.type.endsWith("Cert"));
        assert.ok(certs.length > 1);
        assert.deepStrictEqual([...new Set(certs.map((s) => s.op))], ["update"]);
        assert.deepStrictEqual(second.plan.filter((s) => s.op === "replace" || s.op === "create" || s.op === "delete"), []);
        const pems = (r: typeof first) => ofType(r, "tls:index/locallySignedCert:LocallySignedCert").map((x) => (unwrap(x.outputs) as { certPem: string; earlyRenewalHours: number }));
        assert.deepStrictEqual(pems(second).map((c) => c.certPem), pems(first).map((c) => c.certPem));
        assert.ok(pems(second).every((c) => c.earlyRenewalHours === 100));
    });

    it("reports removed resources as deletes", async () => {
        const first = await stackRun("dev");
        const second = await run({ stack: "dev", previous: first.export, config: { "spinnaker-mtls:services": '["gate","deck"]' } });
        const deleted = second.plan.filter((s) => s.op === "delete").map((s) => s.urn.split("::").pop());
        assert.ok(deleted.includes("spin-orca-secret") && deleted.includes("spin-orca"));
        assert.ok(!deleted.some((d) => d!.startsWith("spin-gate")));
    });

    it("refuses previous state encrypted under another passphrase", async () => {
        const first = await stackRun("dev");
        const saved = process.env.PULUMI_CONFIG_PASSPHRASE;
        process.env.PULUMI_CONFIG_PASSPHRASE = "not-the-one";
        try {
            await assert.rejects(run({ stack: "dev", previous: first.export }), /wrong PULUMI_CONFIG_PASSPHRASE/);
        } finally {
            if (saved === undefined) delete process.env.PULUMI_CONFIG_PASSPHRASE;
            else process.env.PULUMI_CONFIG_PASSPHRASE = saved;
        }
    });

    describe("emulated providers reject what the real ones reject", () => {
        const ctx = { name: "x", type: "t", now: new Date() };
        const create = (type: string, inputs: Record<string, unknown>) => () => emulatorFor(type)!.create(inputs, { ...ctx, type });
        it("tls PrivateKey: unknown algorithm or curve", () => {
            assert.throws(create("tls:index/privateKey:PrivateKey", { algorithm: "DSA" }), /algorithm must be one of RSA, ECDSA, ED25519, got "DSA"/);
            assert.throws(create("tls:index/privateKey:PrivateKey", { algorithm: "ECDSA", ecdsaCurve: "P999" }), /ecdsaCurve must be one of P224, P256, P384, P521/);
        });
        it("tls certificates: unknown allowed use, missing validity, CA key not matching the CA certificate", () => {
            const key = emulatorFor("tls:index/privateKey:PrivateKey")!.create({ algorithm: "ECDSA", ecdsaCurve: "P256" }, ctx).outputs;
            const other = emulatorFor("tls:index/privateKey:PrivateKey")!.create({ algorithm: "ECDSA", ecdsaCurve: "P256" }, ctx).outputs;
            assert.throws(create("tls:index/selfSignedCert:SelfSignedCert", { privateKeyPem: key.privateKeyPem, allowedUses: ["server_auth", "world_domination"], validityPeriodHours: 1 }), /unknown use "world_domination"/);
            assert.throws(create("tls:index/selfSignedCert:SelfSignedCert", { privateKeyPem: key.privateKeyPem, allowedUses: [] }), /missing required argument "validityPeriodHours"/);
            const ca = emulatorFor("tls:index/selfSignedCert:SelfSignedCert")!.create({ privateKeyPem: key.privateKeyPem, allowedUses: ["cert_signing"], isCaCertificate: true, validityPeriodHours: 10 }, ctx).outputs;
            const csr = emulatorFor("tls:index/certRequest:CertRequest")!.create({ privateKeyPem: other.privateKeyPem, dnsNames: ["a"] }, ctx).outputs;
            assert.throws(
                create("tls:index/locallySignedCert:LocallySignedCert", { certRequestPem: csr.certRequestPem, caCertPem: ca.certPem, caPrivateKeyPem: other.privateKeyPem, allowedUses: [], validityPeriodHours: 1 }),
                /caPrivateKeyPem does not match the public key of caCertPem/,
            );
        });
        it("tls ids and serials as terraform-provider-tls makes them: SHA-1 of the DER (not of the PEM), serials below 2^128", () => {
            // Upstream trims white space off the DER taken as a string, so a
            // random DER that happens to end in such a byte (about one in forty)
            // hashes differently; those are the next test's. Draw until the last
            // byte is printable ASCII other than a space, which no trim removes.
            const untrimmable = (der: Buffer) => der[0] === 0x30 && der[der.length - 1] > 0x20 && der[der.length - 1] < 0x7f;
            const draw = <T>(make: () => T, der: (t: T) => Buffer): [T, Buffer] => {
                for (let i = 0; i < 200; i++) {
                    const t = make();
                    if (untrimmable(der(t))) return [t, der(t)];
                }
                throw new Error("no untrimmable DER in 200 draws");
            };
            const [key, spkiDer] = draw(
                () => emulatorFor("tls:index/privateKey:PrivateKey")!.create({ algorithm: "ECDSA", ecdsaCurve: "P256" }, ctx),
                (k) => crypto.createPublicKey(k.outputs.publicKeyPem as string).export({ type: "spki", format: "der" }),
            );
            assert.strictEqual(key.id, crypto.createHash("sha1").update(spkiDer).digest("hex"));
            assert.notStrictEqual(key.id, crypto.createHash("sha1").update(key.outputs.publicKeyPem as string).digest("hex"));
            const [csr, csrDer] = draw(
                () => emulatorFor("tls:index/certRequest:CertRequest")!.create({ privateKeyPem: key.outputs.privateKeyPem, dnsNames: ["a"] }, ctx),
                (c) => Buffer.from((c.outputs.certRequestPem as string).replace(/-----[^-]+-----|\s/g, ""), "base64"),
            );
            assert.strictEqual(csr.id, crypto.createHash("sha1").update(csrDer).digest("hex"));
            const serials = Array.from({ length: 20 }, () => emulatorFor("tls:index/selfSignedCert:SelfSignedCert")!.create({ privateKeyPem: key.outputs.privateKeyPem, allowedUses: ["server_auth"], validityPeriodHours: 1 }, ctx).id);
            assert.ok(serials.every((id) => BigInt(id) < 2n ** 128n));
            // Half of them, give or take, use the 128th bit, which a 127-bit draw never does.
            assert.ok(serials.some((id) => BigInt(id) >= 2n ** 127n), "no serial above 2^127 in 20 draws");
        });
        it("tls ids of a DER that starts or ends in white space: trimmed as Go's strings.TrimSpace trims a string, invalid UTF-8 kept", () => {
            const sha1 = (b: Buffer) => crypto.createHash("sha1").update(b).digest("hex");
            const body = Buffer.from([0x30, 0x03, 0x01, 0x02, 0x41]);
            // ASCII white space either side, and U+0085 and U+3000 in UTF-8 after.
            assert.strictEqual(hashForState(Buffer.concat([Buffer.from(" \n\t"), body, Buffer.from([0x0d, 0x20])])), sha1(body));
            assert.strictEqual(hashForState(Buffer.concat([body, Buffer.from([0xc2, 0x85, 0xe3, 0x80, 0x80])])), sha1(body));
            // A lone 0x85 or 0xa0 is not UTF-8, so Go sees U+FFFD and keeps it.
            const loneNel = Buffer.concat([body, Buffer.from([0x85])]);
            assert.strictEqual(hashForState(loneNel), sha1(loneNel));
            const loneNbsp = Buffer.concat([Buffer.from([0xa0]), body]);
            assert.strictEqual(hashForState(loneNbsp), sha1(loneNbsp));
            assert.strictEqual(hashForState(Buffer.from(" \n")), "");
        });
        it("random RandomPassword: length shorter than the minimums", () => {
            assert.throws(create("random:index/randomPassword:RandomPassword", { length: 4, minUpper: 3, minNumeric: 3 }), /length \(4\) must be >= the sum of the minimums \(6\)/);
        });
        it("Kubernetes Secret: data that is not base64", () => {
            assert.throws(create("kubernetes:core/v1:Secret", { metadata: { name: "s" }, data: { "tls.key": "not base64!" } }), /data.tls.key is not base64/);
        });
    });
});
