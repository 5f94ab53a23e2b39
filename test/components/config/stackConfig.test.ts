import * as assert from "assert";
import * as crypto from "crypto";
import { CONFIG_KEYS, RawConfig, StackConfigError, parseStackConfig } from "../../../components/config";
import { loadProject, loadStackConfig } from "../../../engine/project";
import { PROJECT_ROOT } from "../../../engine/run";
import { emulatorFor } from "../../../engine/providers";

const project = loadProject(PROJECT_ROOT);
/** What the CLI hands the program for a stack that sets nothing: Pulumi.yaml's defaults. */
const defaults: RawConfig = Object.fromEntries(
    Object.entries(project.config)
        .filter(([, e]) => e.default !== undefined)
        .map(([k, e]) => [`spinnaker-mtls:${k}`, typeof e.default === "string" ? e.default : JSON.stringify(e.default)]),
);

function problemsOf(overrides: Record<string, string | undefined>, now?: Date): readonly string[] {
    const raw = { ...defaults, ...overrides };
    try {
        parseStackConfig(raw, now);
    } catch (e) {
        assert.ok(e instanceof StackConfigError, `expected a StackConfigError, got ${e}`);
        return e.problems;
    }
    assert.fail("expected the config to be rejected");
}

function makeCa(opts: { isCa?: boolean; hours?: number; now?: Date } = {}) {
    const ctx = { name: "ca", type: "t", now: opts.now ?? new Date() };
    const key = emulatorFor("tls:index/privateKey:PrivateKey")!.create({ algorithm: "ECDSA", ecdsaCurve: "P256" }, ctx).outputs;
    const cert = emulatorFor("tls:index/selfSignedCert:SelfSignedCert")!.create(
        {
            privateKeyPem: key.privateKeyPem,
            isCaCertificate: opts.isCa ?? true,
            allowedUses: ["cert_signing", "crl_signing"],
            subject: { commonName: "Imported CA" },
            validityPeriodHours: opts.hours ?? 87600,
        },
        ctx,
    ).outputs;
    return { certPem: cert.certPem as string, keyPem: key.privateKeyPem as string };
}

describe("stack config", () => {
    it("Pulumi.yaml declares exactly the keys the program reads", () => {
        assert.deepStrictEqual(Object.keys(project.config).sort(), [...CONFIG_KEYS].sort());
    });

    it("defaults alone give a valid config: ECDSA P-256, clientAuth need, the core services", () => {
        const c = parseStackConfig(defaults);
        assert.deepStrictEqual(c.key, { algorithm: "ECDSA", ecdsaCurve: "P256" });
        assert.strictEqual(c.clientAuth, "need");
        assert.ok(c.services.includes("gate") && c.services.includes("deck"));
        assert.strictEqual(c.importedCa, undefined);
    });

    for (const stack of ["dev", "prod"]) {
        it(`Pulumi.${stack}.yaml validates against the schema and the parser`, () => {
            const values = loadStackConfig(project, stack).values;
            assert.doesNotThrow(() => parseStackConfig(values));
        });
    }

    it("an unknown key is named, with the known keys", () => {
        assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:clientauth": "need" }), [
            `spinnaker-mtls:clientauth is not a known key; known keys: ${CONFIG_KEYS.join(", ")}`,
        ]);
    });

    it("namespace must be a Kubernetes name", () => {
        assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:namespace": "Spinnaker_NS" }), [
            `spinnaker-mtls:namespace is "Spinnaker_NS"; allowed: a Kubernetes namespace name (lower-case letters, digits and '-', at most 63 characters)`,
        ]);
    });

    describe("services", () => {
        it("rejects an unknown service", () => {
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:services": '["gate","kepler"]' }), [
                'spinnaker-mtls:services names unknown service "kepler"; allowed: clouddriver, deck, dinghy, echo, fiat, front50, gate, igor, kayenta, orca, rosco, terraformer',
            ]);
        });
        it("rejects a duplicate", () => {
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:services": '["gate","gate"]' }), ['spinnaker-mtls:services names "gate" twice']);
        });
        it("rejects an empty list and a non-list", () => {
            assert.match(problemsOf({ "spinnaker-mtls:services": "[]" })[0], /^spinnaker-mtls:services is "\[\]"; allowed: one or more of clouddriver/);
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:services": "gate" }), ['spinnaker-mtls:services is "gate"; allowed: a list of strings']);
        });
    });

    describe("keys", () => {
        it("keyAlgorithm", () => {
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:keyAlgorithm": "DSA" }), ['spinnaker-mtls:keyAlgorithm is "DSA"; allowed: ECDSA, RSA']);
        });
        it("ecdsaCurve", () => {
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:ecdsaCurve": "P224" }), ['spinnaker-mtls:ecdsaCurve is "P224"; allowed: P256, P384']);
        });
        it("rsaBits below 2048 is refused as such", () => {
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:keyAlgorithm": "RSA", "spinnaker-mtls:rsaBits": "1024" }), [
                'spinnaker-mtls:rsaBits is "1024"; RSA keys below 2048 bits are refused; allowed: 2048, 3072, 4096',
            ]);
        });
        it("rsaBits off the list", () => {
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:rsaBits": "2500" }), ['spinnaker-mtls:rsaBits is "2500"; allowed: 2048, 3072, 4096']);
        });
        it("RSA takes rsaBits, not the curve", () => {
            const c = parseStackConfig({ ...defaults, "spinnaker-mtls:keyAlgorithm": "RSA", "spinnaker-mtls:rsaBits": "4096" });
            assert.deepStrictEqual(c.key, { algorithm: "RSA", rsaBits: 4096 });
        });
    });

    describe("validity", () => {
        for (const key of ["caValidityHours", "certValidityHours", "renewBeforeHours"]) {
            it(`${key} must be a positive whole number`, () => {
                assert.deepStrictEqual(problemsOf({ [`spinnaker-mtls:${key}`]: "90d" }), [
                    `spinnaker-mtls:${key} is "90d"; allowed: a whole number of hours greater than 0`,
                ]);
            });
        }
        it("the renewal window must be shorter than the validity", () => {
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:certValidityHours": "240", "spinnaker-mtls:renewBeforeHours": "360" }), [
                "spinnaker-mtls:renewBeforeHours is 360, not shorter than spinnaker-mtls:certValidityHours 240; the renewal window must be shorter than the certificate's validity, or every run re-issues it",
            ]);
        });
        it("a certificate cannot outlive its CA", () => {
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:caValidityHours": "1000", "spinnaker-mtls:certValidityHours": "2000" }), [
                "spinnaker-mtls:certValidityHours is 2000, longer than spinnaker-mtls:caValidityHours 1000; a service certificate cannot outlive the CA that signs it",
            ]);
        });
    });

    it("clientAuth is want or need", () => {
        assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:clientAuth": "maybe" }), ['spinnaker-mtls:clientAuth is "maybe"; allowed: want, need']);
    });

    it("organization must not be blank", () => {
        assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:organization": "  " }), ['spinnaker-mtls:organization is "  "; allowed: 1 to 64 characters (the certificates\' O= field)']);
    });

    describe("extraSans", () => {
        it("adds names to enabled services", () => {
            const c = parseStackConfig({ ...defaults, "spinnaker-mtls:extraSans": '["gate:api.example.com","gate:api.example.com","deck:ui.example.com"]' });
            assert.deepStrictEqual(c.extraSans, { gate: ["api.example.com"], deck: ["ui.example.com"] });
        });
        it("rejects entries without a service", () => {
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:extraSans": '["api.example.com"]' }), ['spinnaker-mtls:extraSans entry "api.example.com" is not "<service>:<dns name>"']);
        });
        it("rejects a service that is not enabled", () => {
            assert.match(problemsOf({ "spinnaker-mtls:extraSans": '["dinghy:d.example.com"]' })[0], /^spinnaker-mtls:extraSans entry "dinghy:d.example.com" names "dinghy", which is not an enabled service; enabled: clouddriver, deck/);
        });
        it("rejects wildcards and bad names", () => {
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:extraSans": '["gate:*.example.com"]' }), [
                'spinnaker-mtls:extraSans entry "gate:*.example.com" has an invalid DNS name; allowed: lower-case DNS names, no wildcards',
            ]);
        });
    });

    describe("imported CA", () => {
        it("is accepted when it is a CA, matches its key and outlives new certificates", () => {
            const ca = makeCa();
            const c = parseStackConfig({ ...defaults, "spinnaker-mtls:caCertPem": ca.certPem, "spinnaker-mtls:caKeyPem": ca.keyPem });
            assert.strictEqual(c.importedCa?.certPem, ca.certPem);
        });
        it("needs both halves", () => {
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:caCertPem": makeCa().certPem }), [
                "spinnaker-mtls:caCertPem and spinnaker-mtls:caKeyPem go together: set both to import an existing CA, or neither to create one",
            ]);
        });
        it("refuses a key that does not match, without printing the key", () => {
            const a = makeCa();
            const b = makeCa();
            const problems = problemsOf({ "spinnaker-mtls:caCertPem": a.certPem, "spinnaker-mtls:caKeyPem": b.keyPem });
            assert.deepStrictEqual(problems, ["spinnaker-mtls:caKeyPem (secret value hidden) does not match the public key of spinnaker-mtls:caCertPem"]);
            assert.ok(!problems.join("").includes("PRIVATE KEY"));
        });
        it("refuses a key that is not PEM, without printing it", () => {
            const problems = problemsOf({ "spinnaker-mtls:caCertPem": makeCa().certPem, "spinnaker-mtls:caKeyPem": "hunter2-not-a-key" });
            assert.deepStrictEqual(problems, [
                "spinnaker-mtls:caKeyPem is (secret value hidden) and is not a PEM private key; allowed: an unencrypted PEM RSA or EC private key",
            ]);
        });
        it("refuses a certificate that is not a CA", () => {
            const leaf = makeCa({ isCa: false });
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:caCertPem": leaf.certPem, "spinnaker-mtls:caKeyPem": leaf.keyPem }), [
                'spinnaker-mtls:caCertPem has subject "CN=Imported CA" and is not a CA certificate (basicConstraints CA:TRUE is required)',
            ]);
        });
        it("refuses a CA that expires before the certificates it would sign", () => {
            const ca = makeCa({ hours: 100 });
            const [problem] = problemsOf({ "spinnaker-mtls:caCertPem": ca.certPem, "spinnaker-mtls:caKeyPem": ca.keyPem });
            assert.match(problem, /^spinnaker-mtls:caCertPem expires .*, before certificates issued now would .*; renew the CA or shorten certValidityHours$/);
        });
        it("refuses text that is not a certificate", () => {
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:caCertPem": "nope", "spinnaker-mtls:caKeyPem": crypto.randomBytes(4).toString("hex") }), [
                'spinnaker-mtls:caCertPem is not a PEM certificate; allowed: one PEM "CERTIFICATE" block',
            ]);
        });
    });

    it("reports every problem at once", () => {
        const problems = problemsOf({ "spinnaker-mtls:clientAuth": "maybe", "spinnaker-mtls:keyAlgorithm": "DSA" });
        assert.strictEqual(problems.length, 2);
    });
});
