import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { CONFIG_KEYS, CONFIG_SPEC, RawConfig, StackConfigError, parseStackConfig } from "../../../components/config";
import { editDistance, nearestNames } from "../../../components/config/stackConfig";
import { OPTIONAL_KEYS } from "../../../components/config/keys";
import { loadProject, loadStackConfig } from "../../../engine/project";
import { PROJECT_ROOT } from "../../../engine/run";
import { emulatorFor } from "../../../engine/providers";
import { opensslChain } from "../../support/pki";

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

function makeCa(opts: { isCa?: boolean; hours?: number; now?: Date; key?: Record<string, unknown>; uses?: string[] } = {}) {
    const ctx = { name: "ca", type: "t", now: opts.now ?? new Date() };
    const key = emulatorFor("tls:index/privateKey:PrivateKey")!.create(opts.key ?? { algorithm: "ECDSA", ecdsaCurve: "P256" }, ctx).outputs;
    const cert = emulatorFor("tls:index/selfSignedCert:SelfSignedCert")!.create(
        {
            privateKeyPem: key.privateKeyPem,
            isCaCertificate: opts.isCa ?? true,
            allowedUses: opts.uses ?? ["cert_signing", "crl_signing"],
            subject: { commonName: "Imported CA" },
            validityPeriodHours: opts.hours ?? 87600,
        },
        ctx,
    ).outputs;
    return { certPem: cert.certPem as string, keyPem: key.privateKeyPem as string };
}

describe("stack config", () => {
    it("Pulumi.yaml declares exactly the keys the program reads, each with a default (the Pulumi CLI refuses a stack missing one without)", () => {
        assert.deepStrictEqual(Object.keys(project.config).sort(), [...CONFIG_KEYS].sort());
        assert.deepStrictEqual(Object.entries(project.config).filter(([, e]) => e.default === undefined).map(([k]) => k), []);
        // The optional keys default to "", which the program reads as unset.
        assert.deepStrictEqual(Object.entries(project.config).filter(([, e]) => e.default === "").map(([k]) => k).sort(), [...OPTIONAL_KEYS].sort());
    });

    it("Pulumi.yaml's type and default of every key are CONFIG_SPEC's, the defaults SpinnakerMtls's args take without a Pulumi.yaml", () => {
        const asRaw = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
        const declared = Object.fromEntries(Object.entries(project.config).map(([k, e]) => [k, { type: e.type, default: asRaw(e.default) }]));
        assert.deepStrictEqual(declared, { ...CONFIG_SPEC });
    });

    it("docs/configuration.md has a row for every key Pulumi.yaml declares and no other, each row's default Pulumi.yaml's", () => {
        const doc = fs.readFileSync(path.join(PROJECT_ROOT, "docs", "configuration.md"), "utf8");
        const rows = doc
            .split("\n")
            .filter((l) => l.startsWith("| `"))
            .map((l) => l.slice(2, -2).split(" | "));
        const keysOf = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
        assert.deepStrictEqual(rows.flatMap(([keys]) => keysOf(keys)).sort(), Object.keys(project.config).sort());
        // Keys a user sets on their own get a row of their own.
        const own = rows.filter(([keys]) => keysOf(keys).length === 1);
        for (const key of ["spinnakerVersion", "istioRootNamespace", "acmeEmail", "acmeServer", "acmeDns01Solver"]) assert.ok(own.some(([k]) => k === `\`${key}\``), key);
        for (const [keys, shown] of own) {
            const d = project.config[keysOf(keys)[0]].default;
            if (typeof d === "string" && d !== "") assert.ok(shown.includes(`\`${d}\``), `${keys}: ${shown} does not show Pulumi.yaml's default ${d}`);
        }
        assert.match(own.find(([k]) => k === "`acmeDns01Solver`")![2], /JSON string/);
    });

    it("refuses a secret key the engine did not receive as a secret (Pulumi.yaml cannot mark the optional ones secret)", () => {
        const raw = { ...defaults, "spinnaker-mtls:redisMode": "external", "spinnaker-mtls:redisExternalUrl": "rediss://user:pw@redis.example.com:6380" };
        assert.throws(() => parseStackConfig(raw, new Date(), new Set()), (e: StackConfigError) => {
            assert.deepStrictEqual(e.problems, [
                "spinnaker-mtls:redisExternalUrl is stored in plain text (value hidden); it is a secret: set it with pulumi config set --secret redisExternalUrl (or --secret-file redisExternalUrl=<file> for the offline commands)",
            ]);
            assert.ok(!e.message.includes("pw@"));
            return true;
        });
        assert.strictEqual(parseStackConfig(raw, new Date(), new Set(["spinnaker-mtls:redisExternalUrl"])).redis.mode, "external");
        // Unset (the default ""), nothing is asked of the engine.
        assert.doesNotThrow(() => parseStackConfig(defaults, new Date(), new Set()));
    });

    it("defaults alone give a valid config: ECDSA P-256, clientAuth need, the core services", () => {
        const c = parseStackConfig(defaults);
        assert.deepStrictEqual(c.key, { algorithm: "ECDSA", ecdsaCurve: "P256" });
        assert.strictEqual(c.clientAuth, "need");
        assert.ok(c.services.includes("gate") && c.services.includes("deck"));
        assert.strictEqual(c.importedCa, undefined);
    });

    for (const stack of ["dev", "prod", "local"]) {
        it(`Pulumi.${stack}.yaml validates against the schema and the parser`, () => {
            const values = loadStackConfig(project, stack).values;
            assert.doesNotThrow(() => parseStackConfig(values));
        });
    }

    it("an unknown key is named with its value and the key it most likely meant, not with every known key", () => {
        assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:clientauth": "need" }), [
            'spinnaker-mtls:clientauth is not a known key (its value "need" is not read); did you mean spinnaker-mtls:clientAuth?',
        ]);
        assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:certValidityHour": "720", "spinnaker-mtls:redisImg": "redis:7.2.7" }), [
            'spinnaker-mtls:certValidityHour is not a known key (its value "720" is not read); did you mean spinnaker-mtls:certValidityHours?',
            'spinnaker-mtls:redisImg is not a known key (its value "redis:7.2.7" is not read); did you mean spinnaker-mtls:redisImage?',
        ]);
        // No guess when nothing is near: the removed e2e switch is not a typo of any key.
        assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:e2eSkipAwait": "true" }), [
            'spinnaker-mtls:e2eSkipAwait is not a known key (its value "true" is not read), and no known key is near that name; Pulumi.yaml declares every key (docs/configuration.md)',
        ]);
    });

    it("hides the value of an unknown key that may be a secret: near a secret key, marked secret by the engine, or a private key", () => {
        const pem = "-----BEGIN EC PRIVATE KEY-----\nnot shown\n-----END EC PRIVATE KEY-----";
        assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:redisExternalURL": "rediss://:s3cret@redis.example.com:6380" }), [
            "spinnaker-mtls:redisExternalURL is not a known key (its value (secret value hidden) is not read); did you mean spinnaker-mtls:redisExternalUrl?",
        ]);
        assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:caKey": pem }), ["spinnaker-mtls:caKey is not a known key (its value (secret value hidden) is not read); did you mean spinnaker-mtls:caKeyPem?"]);
        assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:signingKey": pem }), [
            "spinnaker-mtls:signingKey is not a known key (its value (secret value hidden) is not read), and no known key is near that name; Pulumi.yaml declares every key (docs/configuration.md)",
        ]);
        assert.throws(() => parseStackConfig({ ...defaults, "spinnaker-mtls:token": "hunter2" }, new Date(), new Set(["spinnaker-mtls:token"])), (e: StackConfigError) => {
            assert.deepStrictEqual(e.problems, ["spinnaker-mtls:token is not a known key (its value (secret value hidden) is not read), and no known key is near that name; Pulumi.yaml declares every key (docs/configuration.md)"]);
            return true;
        });
        // A long value is cut, so a certificate under a misspelt key does not fill the screen.
        const [long] = problemsOf({ "spinnaker-mtls:caCert": "x".repeat(500) });
        assert.strictEqual(long, `spinnaker-mtls:caCert is not a known key (its value "${"x".repeat(40)}"... (500 characters) is not read); did you mean spinnaker-mtls:caCertPem?`);
    });

    it("measures a typo by edits, swaps of neighbours included, and guesses nothing far-fetched", () => {
        assert.strictEqual(editDistance("namespace", "namespace"), 0);
        assert.strictEqual(editDistance("namespce", "namespace"), 1);
        assert.strictEqual(editDistance("naemspace", "namespace"), 1, "two neighbours swapped are one edit");
        assert.strictEqual(editDistance("spinnaker-mtl", "spinnaker-mtls"), 1);
        assert.strictEqual(editDistance("", "abc"), 3);
        assert.deepStrictEqual(nearestNames("ClientAuth", ["clientAuth", "organization"]), ["clientAuth"]);
        assert.deepStrictEqual(nearestNames("istioX", ["istio", "istioInjection"]), ["istio"]);
        assert.deepStrictEqual(nearestNames("abcd", ["abce", "abcf", "wxyz"]), ["abce", "abcf"], "every candidate at the best distance");
        assert.deepStrictEqual(nearestNames("kubeconfig", CONFIG_KEYS), []);
        assert.deepStrictEqual(nearestNames("istioRoot", CONFIG_KEYS), ["istioRootNamespace"], "a name cut short");
        assert.deepStrictEqual(nearestNames("redis", ["redisMode", "redisImage", "redisReplicas", "redisStorageSize"]), [], "too many names start with it to guess");
        assert.deepStrictEqual(nearestNames("ns", ["namespace"]), []);
        assert.deepStrictEqual(nearestNames("aws", ["tls", "random"]), [], "two edits in three letters is another name");
        assert.deepStrictEqual(nearestNames("tsl", ["tls", "random"]), ["tls"]);
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

    describe("CA rotation keys", () => {
        const rotating = (phase: string, extra: Record<string, string> = {}) => ({ "spinnaker-mtls:caRotation": phase, ...extra });
        it("reads the phase, the generation and an imported next CA", () => {
            const next = makeCa();
            const c = parseStackConfig({ ...defaults, ...rotating("issue-next", { "spinnaker-mtls:caGeneration": "3", "spinnaker-mtls:caNextCertPem": next.certPem, "spinnaker-mtls:caNextKeyPem": next.keyPem }) });
            assert.deepStrictEqual([c.caRotation, c.caGeneration, c.nextImportedCa?.certPem], ["issue-next", 3, next.certPem]);
            const plain = parseStackConfig(defaults);
            assert.deepStrictEqual([plain.caRotation, plain.caGeneration, plain.nextImportedCa], ["none", 1, undefined]);
        });
        it("refuses a phase that is none of the four, and a generation below 1", () => {
            assert.deepStrictEqual(problemsOf(rotating("trust-all")), ['spinnaker-mtls:caRotation is "trust-all"; allowed: none, trust-both, issue-next, trust-next']);
            assert.strictEqual(problemsOf({ "spinnaker-mtls:caGeneration": "0" }).length, 1);
            assert.match(problemsOf({ "spinnaker-mtls:caGeneration": "0" })[0], /^spinnaker-mtls:caGeneration /);
        });
        it("needs both halves of an imported next CA", () => {
            assert.deepStrictEqual(problemsOf(rotating("trust-both", { "spinnaker-mtls:caNextCertPem": makeCa().certPem })), [
                "spinnaker-mtls:caNextCertPem and spinnaker-mtls:caNextKeyPem go together: set both to import the next CA, or neither to have the program generate it",
            ]);
        });
        it("vets an imported next CA as caCertPem is vetted, naming its own keys", () => {
            const leaf = makeCa({ isCa: false });
            assert.deepStrictEqual(problemsOf(rotating("trust-both", { "spinnaker-mtls:caNextCertPem": leaf.certPem, "spinnaker-mtls:caNextKeyPem": leaf.keyPem })), [
                'spinnaker-mtls:caNextCertPem has subject "CN=Imported CA" and is not a CA certificate (basicConstraints CA:TRUE is required)',
            ]);
            const problems = problemsOf(rotating("trust-both", { "spinnaker-mtls:caNextCertPem": makeCa().certPem, "spinnaker-mtls:caNextKeyPem": makeCa().keyPem }));
            assert.deepStrictEqual(problems, ["spinnaker-mtls:caNextKeyPem (secret value hidden) does not match the public key of spinnaker-mtls:caNextCertPem"]);
            const ca = makeCa();
            assert.match(problemsOf(rotating("trust-both", { "spinnaker-mtls:caNextCertPem": ca.certPem + ca.keyPem, "spinnaker-mtls:caNextKeyPem": ca.keyPem }))[0], /^spinnaker-mtls:caNextCertPem holds a private key \(value hidden\)/);
        });
        it("refuses a next CA outside a rotation: finishing moves it to caCertPem", () => {
            const next = makeCa();
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:caNextCertPem": next.certPem, "spinnaker-mtls:caNextKeyPem": next.keyPem }), [
                'spinnaker-mtls:caNextCertPem and spinnaker-mtls:caNextKeyPem are set but spinnaker-mtls:caRotation is "none": they name the next CA during a rotation only; start one with caRotation "trust-both", or, to finish one, move them to caCertPem and caKeyPem and unset them (docs/ca-rotation.md)',
            ]);
        });
        it("refuses a next CA that is the current one", () => {
            const ca = makeCa();
            assert.deepStrictEqual(problemsOf(rotating("trust-both", { "spinnaker-mtls:caCertPem": ca.certPem, "spinnaker-mtls:caKeyPem": ca.keyPem, "spinnaker-mtls:caNextCertPem": ca.certPem, "spinnaker-mtls:caNextKeyPem": ca.keyPem })), [
                "spinnaker-mtls:caNextCertPem is the same CA as spinnaker-mtls:caCertPem; the next CA must be a new one (with its own key), or unset it to have the program generate one",
            ]);
        });
        it("accepts every phase with cert-manager issuing (the stores read the program's trust bundle)", () => {
            for (const phase of ["trust-both", "issue-next", "trust-next"]) {
                const c = parseStackConfig({ ...defaults, ...rotating(phase, { "spinnaker-mtls:certificateBackend": "cert-manager" }) });
                assert.deepStrictEqual([c.caRotation, c.certManager.backend], [phase, "cert-manager"]);
            }
        });
        it("refuses a rotation with the Otterize operator issuing, whose stores hold one CA", () => {
            assert.deepStrictEqual(problemsOf(rotating("trust-both", { "spinnaker-mtls:certificateBackend": "otterize" })), [
                'spinnaker-mtls:caRotation is "trust-both" but spinnaker-mtls:certificateBackend is "otterize"; a rotation without failed handshakes needs every store to hold both CAs, ' +
                    "and the Otterize credentials operator writes each pod's ca.crt and truststore from the one CA of its issuer: " +
                    'rotate with certificateBackend "pulumi" or "cert-manager" (docs/ca-rotation.md), or set caRotation "none"',
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
        it("refuses a CA that expires before the certificates it would sign: renew it, or shorten certValidityHours", () => {
            const now = new Date();
            const ca = makeCa({ hours: 100, now });
            const notAfter = new Date(new crypto.X509Certificate(ca.certPem).validTo).toISOString();
            const needed = new Date(now.getTime() + 2160 * 3600_000).toISOString();
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:caCertPem": ca.certPem, "spinnaker-mtls:caKeyPem": ca.keyPem }, now), [
                `spinnaker-mtls:caCertPem expires ${notAfter}, before certificates issued now would (${needed}, spinnaker-mtls:certValidityHours 2160 from now); renew the CA, or shorten certValidityHours to end before it does`,
            ]);
        });
        it("refuses an expired CA without suggesting a shorter certValidityHours, which cannot help", () => {
            // Issued 200 hours ago for 100 hours: expired 100 hours ago.
            const ca = makeCa({ hours: 100, now: new Date(Date.now() - 200 * 3600_000) });
            const notAfter = new Date(new crypto.X509Certificate(ca.certPem).validTo).toISOString();
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:caCertPem": ca.certPem, "spinnaker-mtls:caKeyPem": ca.keyPem }), [
                `spinnaker-mtls:caCertPem expired ${notAfter}; no certificate it signs is valid: renew or replace the CA, and set caCertPem and caKeyPem to the new one`,
            ]);
        });
        it("refuses a private key inside caCertPem, without showing it, before any other check", () => {
            const ca = makeCa();
            const problems = problemsOf({ "spinnaker-mtls:caCertPem": ca.certPem + ca.keyPem, "spinnaker-mtls:caKeyPem": ca.keyPem });
            assert.deepStrictEqual(problems, [
                "spinnaker-mtls:caCertPem holds a private key (value hidden); it is public config that goes into the stack outputs and every trust store: give it the CA's certificate alone, and the key only in spinnaker-mtls:caKeyPem, as a secret (pulumi config set --secret caKeyPem < ca.key)",
            ]);
            assert.ok(!problems.join("\n").includes("PRIVATE KEY-----\n"), "the key is not echoed");
        });
        describe("an intermediate with its chain (OpenSSL's)", () => {
            const chainProblems = (bundlePem: string, keyPem: string) => problemsOf({ "spinnaker-mtls:caCertPem": bundlePem, "spinnaker-mtls:caKeyPem": keyPem });
            const at = (n: number, cn: string) => `spinnaker-mtls:caCertPem certificate ${n} (subject "CN=${cn}")`;

            it("takes an intermediate, then its root; and two intermediates, then the root", () => {
                const one = opensslChain({ commonName: "Org Root", pathLen: 1 }, { commonName: "Spinnaker Issuing CA", pathLen: 0 });
                assert.strictEqual(parseStackConfig({ ...defaults, "spinnaker-mtls:caCertPem": one.bundlePem, "spinnaker-mtls:caKeyPem": one.signerKeyPem }).importedCa?.certPem, one.bundlePem);
                const two = opensslChain({ commonName: "Org Root" }, { commonName: "Org Policy CA" }, { commonName: "Spinnaker Issuing CA" });
                assert.strictEqual(parseStackConfig({ ...defaults, "spinnaker-mtls:caCertPem": two.bundlePem, "spinnaker-mtls:caKeyPem": two.signerKeyPem }).importedCa?.certPem, two.bundlePem);
            });

            it("refuses a chain out of order, or one that does not end in a self-signed root, naming the certificates", () => {
                const c = opensslChain({ commonName: "Org Root" }, { commonName: "Spinnaker Issuing CA" });
                const [root, issuing] = c.cas;
                assert.deepStrictEqual(chainProblems(root.certPem + issuing.certPem, root.keyPem), [
                    `${at(2, "Spinnaker Issuing CA")} did not issue certificate 1 (subject "CN=Org Root"); allowed: the CA that signs the services' certificates first, then its issuer, and so on up to the self-signed root`,
                    `${at(2, "Spinnaker Issuing CA")} ends the chain but is not self-signed; end it with the root: every trust store holds the root, and OpenSSL (Redis, redis-cli) accepts no other trust anchor`,
                ]);
                const three = opensslChain({ commonName: "Org Root" }, { commonName: "Org Policy CA" }, { commonName: "Spinnaker Issuing CA" });
                const withoutRoot = three.cas[2].certPem + three.cas[1].certPem;
                assert.deepStrictEqual(chainProblems(withoutRoot, three.signerKeyPem), [
                    `${at(2, "Org Policy CA")} ends the chain but is not self-signed; end it with the root: every trust store holds the root, and OpenSSL (Redis, redis-cli) accepts no other trust anchor`,
                ]);
            });

            it("refuses a pathLen that forbids the chain", () => {
                const c = opensslChain({ commonName: "Org Root", pathLen: 0 }, { commonName: "Spinnaker Issuing CA" });
                assert.deepStrictEqual(chainProblems(c.bundlePem, c.signerKeyPem), [
                    `${at(2, "Org Root")} has pathLenConstraint 0, which allows 0 intermediate CAs below it, and this chain puts 1 there, so no peer accepts the services' certificates`,
                ]);
            });

            it("refuses an intermediate that is not a CA, and one without keyCertSign", () => {
                const notCa = opensslChain({ commonName: "Org Root" }, { commonName: "Not A CA", extensions: "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n" });
                assert.deepStrictEqual(chainProblems(notCa.bundlePem, notCa.signerKeyPem), [
                    `${at(1, "Not A CA")} is not a CA certificate (basicConstraints CA:TRUE is required)`,
                    `${at(1, "Not A CA")} has key usage digitalSignature without keyCertSign, so no client or server accepts a certificate it signs; allowed: a CA certificate whose key usage includes keyCertSign`,
                ]);
            });

            it("refuses an intermediate that expires before the leaves issued now would", () => {
                const c = opensslChain({ commonName: "Org Root" }, { commonName: "Spinnaker Issuing CA", days: 30 });
                const [problem, ...rest] = chainProblems(c.bundlePem, c.signerKeyPem);
                assert.deepStrictEqual(rest, []);
                assert.match(problem, new RegExp(`^${at(1, "Spinnaker Issuing CA").replace(/[()]/g, "\\$&")} expires .*, before certificates issued now would \\(.*spinnaker-mtls:certValidityHours 2160 from now\\)`));
            });

            it("refuses an intermediate with cert-manager's certificates while a Go service runs (go-yaml-tools sends its leaf alone), and takes it with the program's", () => {
                const c = opensslChain({ commonName: "Org Root" }, { commonName: "Spinnaker Issuing CA" });
                const goStack = { "spinnaker-mtls:caCertPem": c.bundlePem, "spinnaker-mtls:caKeyPem": c.signerKeyPem, "spinnaker-mtls:services": '["clouddriver","deck","echo","front50","gate","orca","rosco","terraformer"]', "spinnaker-mtls:spinnakerFlavor": "armory", "spinnaker-mtls:goServicesRedis": "tls-only" };
                assert.deepStrictEqual(problemsOf({ ...goStack, "spinnaker-mtls:certificateBackend": "cert-manager" }), [
                    'spinnaker-mtls:caCertPem is an intermediate with its chain and spinnaker-mtls:certificateBackend is "cert-manager" while terraformer runs: ' +
                        "their go-yaml-tools presents only the first certificate of its certFile, so every peer must hold the intermediate in its trust store, and cert-manager writes only the root into ca.crt and truststore.p12; " +
                        'use certificateBackend "pulumi" (its stores hold the root and the intermediates), or import the root itself',
                ]);
                assert.ok(parseStackConfig({ ...defaults, ...goStack }).importedCa);
                assert.ok(parseStackConfig({ ...defaults, ...goStack, "spinnaker-mtls:certificateBackend": "cert-manager", "spinnaker-mtls:services": '["clouddriver","deck","echo","front50","gate","orca","rosco"]' }).importedCa);
            });

            it("refuses the root's key in place of the signer's", () => {
                const c = opensslChain({ commonName: "Org Root" }, { commonName: "Spinnaker Issuing CA" });
                assert.deepStrictEqual(chainProblems(c.bundlePem, c.cas[0].keyPem), [
                    "spinnaker-mtls:caKeyPem (secret value hidden) does not match the public key of spinnaker-mtls:caCertPem's first certificate (the CA that signs the services' certificates)",
                ]);
            });
        });
        it("refuses a CA key weaker than the leaves' minimum (RSA 1024), and takes RSA 2048", () => {
            const rsa = makeCa({ key: { algorithm: "RSA", rsaBits: 1024 } });
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:caCertPem": rsa.certPem, "spinnaker-mtls:caKeyPem": rsa.keyPem }), [
                "spinnaker-mtls:caCertPem has an RSA key of 1024 bits, weaker than the services' own keys may be; allowed: RSA 2048 bits or more, or ECDSA P-256 or P-384",
            ]);
            const rsa2048 = makeCa({ key: { algorithm: "RSA", rsaBits: 2048 } });
            assert.strictEqual(parseStackConfig({ ...defaults, "spinnaker-mtls:caCertPem": rsa2048.certPem, "spinnaker-mtls:caKeyPem": rsa2048.keyPem }).importedCa?.certPem, rsa2048.certPem);
        });
        it("refuses a CA whose key usage lacks keyCertSign", () => {
            const ca = makeCa({ uses: ["digital_signature", "crl_signing"] });
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:caCertPem": ca.certPem, "spinnaker-mtls:caKeyPem": ca.keyPem }), [
                "spinnaker-mtls:caCertPem has key usage digitalSignature, cRLSign without keyCertSign, so no client or server accepts a certificate it signs; allowed: a CA certificate whose key usage includes keyCertSign",
            ]);
        });
        it("refuses text that is not a certificate", () => {
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:caCertPem": "nope", "spinnaker-mtls:caKeyPem": crypto.randomBytes(4).toString("hex") }), [
                `spinnaker-mtls:caCertPem is not a PEM certificate; allowed: one PEM "CERTIFICATE" block, or a CA's chain up to its root`,
            ]);
        });
    });

    describe("redis", () => {
        const external = { "spinnaker-mtls:redisMode": "external", "spinnaker-mtls:redisExternalUrl": "rediss://:s3cret@redis.example.com:6380/0" };
        it("defaults: an in-cluster Redis 7 with one pod, no SQL services, and Go services refused", () => {
            const c = parseStackConfig(defaults).redis;
            assert.deepStrictEqual(
                { mode: c.mode, image: c.image, replicas: c.replicas, sql: c.sqlServices, go: c.goServices },
                { mode: "in-cluster", image: "redis:7.2.7", replicas: 0, sql: [], go: "none" },
            );
        });
        it("redisMode", () => {
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:redisMode": "cluster" }), ['spinnaker-mtls:redisMode is "cluster"; allowed: in-cluster, external']);
        });
        it("redisImage needs a tag or digest, and Redis 7.0.1 or later (the reload sidecar's floor)", () => {
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:redisImage": "redis" }), ['spinnaker-mtls:redisImage is "redis"; allowed: an image reference with a tag or a digest, e.g. redis:7.2.7']);
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:redisImage": "Redis:7" }), ['spinnaker-mtls:redisImage is "Redis:7"; allowed: an image reference with a tag or a digest, e.g. redis:7.2.7']);
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:redisImage": "redis:5.0.14" }), ['spinnaker-mtls:redisImage is "redis:5.0.14"; Redis before 6 has no TLS; allowed: Redis 7.0.1 or later, e.g. redis:7.2.7']);
            // The reload sidecar's floor (redis commit b16d1c271 in 7.0.1; 6.2 takes one CONFIG SET pair).
            const floor = (image: string) =>
                `spinnaker-mtls:redisImage is "${image}"; its tls-reload sidecar cannot reload a renewed certificate there (one CONFIG SET of several TLS files needs Redis 7.0.0, and reloading files whose names did not change needs 7.0.1); allowed: Redis 7.0.1 or later, e.g. redis:7.2.7`;
            for (const image of ["redis:6.2.14", "redis:6.2", "redis:6", "redis:7.0.0", "redis:7.0.0-alpine", "mirror.example.com/redis:6.2.14-bookworm"]) {
                assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:redisImage": image }), [floor(image)], image);
            }
            for (const image of ["redis:7.0.1", "redis:7.0.15", "redis:7.0", "redis:7", "redis:7.2.7-alpine", "redis:8.0.2", "redis:10.0.0", "valkey/valkey:8.1.1", "registry.example.com:5000/redis:7.2.7"]) {
                assert.strictEqual(parseStackConfig({ ...defaults, "spinnaker-mtls:redisImage": image }).redis.image, image);
            }
            assert.strictEqual(parseStackConfig({ ...defaults, "spinnaker-mtls:redisImage": `registry.example.com:5000/mirror/redis@sha256:${"a".repeat(64)}` }).redis.image.length > 0, true);
        });
        it("redisReplicas is 0 to 5", () => {
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:redisReplicas": "6" }), ['spinnaker-mtls:redisReplicas is "6"; allowed: a whole number of replicas, 0 to 5']);
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:redisReplicas": "-1" }), ['spinnaker-mtls:redisReplicas is "-1"; allowed: a whole number of replicas, 0 to 5']);
        });
        it("storage size and class", () => {
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:redisStorageSize": "8GB" }), ['spinnaker-mtls:redisStorageSize is "8GB"; allowed: a Kubernetes storage quantity greater than 0, e.g. "512Mi" or "8Gi"']);
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:redisStorageClass": "Fast SSD" }), ['spinnaker-mtls:redisStorageClass is "Fast SSD"; allowed: a StorageClass name, or empty for the cluster\'s default']);
            assert.strictEqual(parseStackConfig({ ...defaults, "spinnaker-mtls:redisStorageClass": "" }).redis.storageClass, undefined);
        });
        it("resources are quantities and requests do not exceed limits", () => {
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:redisCpuRequest": "lots" }), ['spinnaker-mtls:redisCpuRequest is "lots"; allowed: a Kubernetes cpu quantity greater than 0, e.g. "250m" or "1"']);
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:redisMemoryLimit": "0" }), ['spinnaker-mtls:redisMemoryLimit is "0"; allowed: a Kubernetes memory quantity greater than 0, e.g. "512Mi" or "8Gi"']);
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:redisCpuRequest": "2", "spinnaker-mtls:redisCpuLimit": "1500m" }), [
                'spinnaker-mtls:redisCpuRequest is "2", more than spinnaker-mtls:redisCpuLimit "1500m"; a request cannot exceed its limit',
            ]);
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:redisMemoryRequest": "2Gi" }), [
                'spinnaker-mtls:redisMemoryRequest is "2Gi", more than spinnaker-mtls:redisMemoryLimit "1Gi"; a request cannot exceed its limit',
            ]);
        });
        it("external mode takes a rediss:// URL, and never prints it", () => {
            assert.strictEqual(parseStackConfig({ ...defaults, ...external }).redis.externalUrl, external["spinnaker-mtls:redisExternalUrl"]);
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:redisMode": "external" }), [
                'spinnaker-mtls:redisExternalUrl is not set; redisMode "external" needs the rediss:// URL of your Redis (set it with pulumi config set --secret)',
            ]);
            const plain = problemsOf({ ...external, "spinnaker-mtls:redisExternalUrl": "redis://:s3cret@redis.example.com:6379" });
            assert.deepStrictEqual(plain, ['spinnaker-mtls:redisExternalUrl (secret value hidden) uses the scheme "redis"; allowed: rediss:// only, plaintext redis:// is refused']);
            assert.deepStrictEqual(problemsOf({ ...external, "spinnaker-mtls:redisExternalUrl": "not a url s3cret" }), [
                "spinnaker-mtls:redisExternalUrl is (secret value hidden) and is not a URL; allowed: rediss://[:password@]host[:port][/db]",
            ]);
            assert.deepStrictEqual(problemsOf({ ...external, "spinnaker-mtls:redisExternalUrl": "rediss://:s3cret@redis.example.com/cache" }), [
                "spinnaker-mtls:redisExternalUrl (secret value hidden) has a path that is not a database number; allowed: rediss://[:password@]host[:port][/db]",
            ]);
            assert.ok(!plain.join("").includes("s3cret"));
        });
        it("external-only keys are refused in-cluster", () => {
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:redisExternalUrl": "rediss://r.example.com" }), [
                'spinnaker-mtls:redisExternalUrl is set but spinnaker-mtls:redisMode is "in-cluster"; set redisMode to "external" or unset redisExternalUrl',
            ]);
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:redisExternalCaCertPem": makeCa().certPem }), [
                'spinnaker-mtls:redisExternalCaCertPem is set but spinnaker-mtls:redisMode is "in-cluster"; it only applies to an external Redis',
            ]);
        });
        it("an external CA bundle must hold CA certificates", () => {
            assert.deepStrictEqual(problemsOf({ ...external, "spinnaker-mtls:redisExternalCaCertPem": "nope" }), [
                'spinnaker-mtls:redisExternalCaCertPem holds no PEM certificate; allowed: one or more PEM "CERTIFICATE" blocks of CA certificates',
            ]);
            assert.deepStrictEqual(problemsOf({ ...external, "spinnaker-mtls:redisExternalCaCertPem": makeCa({ isCa: false }).certPem }), [
                'spinnaker-mtls:redisExternalCaCertPem certificate 1 (subject "CN=Imported CA") is not a CA certificate (basicConstraints CA:TRUE is required)',
            ]);
        });
        it("sqlServices names enabled services that have a SQL backend", () => {
            assert.deepStrictEqual(parseStackConfig({ ...defaults, "spinnaker-mtls:sqlServices": '["orca","clouddriver"]' }).redis.sqlServices, ["orca", "clouddriver"]);
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:sqlServices": '["gate"]' }), ['spinnaker-mtls:sqlServices names "gate", which has no SQL backend; allowed: clouddriver, fiat, front50, orca']);
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:services": '["gate","deck"]', "spinnaker-mtls:sqlServices": '["orca"]' }), [
                'spinnaker-mtls:sqlServices names "orca", which is not an enabled service; enabled: gate, deck',
            ]);
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:sqlServices": '["orca","orca"]' }), ['spinnaker-mtls:sqlServices names "orca" twice']);
        });
        describe("the Go services", () => {
            // dinghy runs only at clientAuth want (see the Spinnaker tests).
            const withGo = { "spinnaker-mtls:services": '["gate","dinghy","terraformer"]', "spinnaker-mtls:spinnakerFlavor": "armory", "spinnaker-mtls:clientAuth": "want" };
            it("cannot be enabled without a choice for their Redis", () => {
                assert.deepStrictEqual(problemsOf(withGo), [
                    'spinnaker-mtls:services enables dinghy and terraformer, which cannot present a client certificate to Redis, and spinnaker-mtls:goServicesRedis is "none"; set goServicesRedis to "tls-only" to give them a separate TLS-only Redis that only they can reach, or remove them from services',
                ]);
            });
            it("asking for Redis client auth for them is refused as something Spinnaker cannot do", () => {
                assert.deepStrictEqual(problemsOf({ ...withGo, "spinnaker-mtls:goServicesRedis": "client-auth" }), [
                    'spinnaker-mtls:goServicesRedis is "client-auth", which Spinnaker cannot do: Armory\'s Go services (dinghy, terraformer) connect to Redis over TLS but cannot present a client certificate; allowed: "tls-only" (a separate TLS-only Redis that only they can reach) or "none"',
                ]);
            });
            it("tls-only is accepted", () => {
                assert.strictEqual(parseStackConfig({ ...defaults, ...withGo, "spinnaker-mtls:goServicesRedis": "tls-only" }).redis.goServices, "tls-only");
            });
            it("an unknown value lists the allowed ones", () => {
                assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:goServicesRedis": "plain" }), ['spinnaker-mtls:goServicesRedis is "plain"; allowed: none, tls-only, client-auth']);
            });
        });
    });

    describe("spinnaker", () => {
        it("defaults: patch the open-source Operator's SpinnakerService named spinnaker, without forcing", () => {
            // Without an ingress and without browser URLs, the port-forward URLs (docs/spinnaker.md): Deck must reach Gate as shipped.
            assert.deepStrictEqual(parseStackConfig(defaults).spinnaker, {
                flavor: "oss",
                serviceName: "spinnaker",
                mode: "patch",
                patchForce: false,
                haServices: [],
                gateUrl: "https://localhost:8084",
                deckUrl: "https://localhost:9000",
                portForwardUrls: ["gateUrl", "deckUrl"],
            });
        });
        it("spinnakerServicePatches: per enabled service, a list of patch objects", () => {
            const ok = parseStackConfig({ ...defaults, "spinnaker-mtls:spinnakerServicePatches": '{"gate":[{"metadata":{"labels":{"a":"b"}}}]}' }).spinnaker;
            assert.deepStrictEqual(ok.servicePatches, { gate: [{ metadata: { labels: { a: "b" } } }] });
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:spinnakerServicePatches": "gate: {}" }), [
                'spinnaker-mtls:spinnakerServicePatches is "gate: {}"; not JSON; allowed: a JSON object of service name to a list of strategic-merge patches of its Service, e.g. \'{"gate":[{"metadata":{"annotations":{"team":"platform"}}}]}\'',
            ]);
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:spinnakerServicePatches": '{"kayenta":[{}],"gate":[],"orca":["spec: {}"]}' }), [
                "spinnaker-mtls:spinnakerServicePatches gives gate []; allowed: a non-empty list of patch objects",
                "spinnaker-mtls:spinnakerServicePatches names \"kayenta\", which is not an enabled service; enabled: clouddriver, deck, echo, fiat, front50, gate, igor, orca, rosco",
                'spinnaker-mtls:spinnakerServicePatches gives orca ["spec: {}"]; allowed: a non-empty list of patch objects',
            ]);
        });
        it("browser URLs: a URL the stack sets is kept, the other defaults to its port-forward; an ingress or no Deck and Gate needs none", () => {
            const one = parseStackConfig({ ...defaults, "spinnaker-mtls:gateUrl": "https://spinnaker-api.example.com" }).spinnaker;
            assert.deepStrictEqual([one.gateUrl, one.deckUrl, one.portForwardUrls], ["https://spinnaker-api.example.com", "https://localhost:9000", ["deckUrl"]]);
            const backendOnly = parseStackConfig({ ...defaults, "spinnaker-mtls:services": '["orca","clouddriver"]' }).spinnaker;
            assert.deepStrictEqual([backendOnly.gateUrl, backendOnly.deckUrl, backendOnly.portForwardUrls], [undefined, undefined, undefined]);
        });
        it("gateUrl and deckUrl: https URLs with a DNS host, and not together with an ingress, which derives them", () => {
            const c = parseStackConfig({ ...defaults, "spinnaker-mtls:gateUrl": "https://spinnaker-api.example.com/", "spinnaker-mtls:deckUrl": "https://spinnaker.example.com:8443" }).spinnaker;
            assert.deepStrictEqual([c.gateUrl, c.deckUrl], ["https://spinnaker-api.example.com", "https://spinnaker.example.com:8443"]);
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:gateUrl": "http://gate.example.com" }), [
                'spinnaker-mtls:gateUrl is "http://gate.example.com"; allowed: an https URL such as "https://spinnaker-api.example.com" (a DNS host, an optional port and path; no wildcard, query or credentials)',
            ]);
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:istio": "true", "spinnaker-mtls:istioServicePortPatch": "true", "spinnaker-mtls:ingressHost": "spinnaker.example.com", "spinnaker-mtls:deckUrl": "https://ui.example.com" }), [
                "spinnaker-mtls:deckUrl is set but so is spinnaker-mtls:ingressHost, from which the program derives the browser URLs; unset deckUrl",
            ]);
        });
        it("haServices: clouddriver and echo only, and only when enabled", () => {
            assert.deepStrictEqual(parseStackConfig({ ...defaults, "spinnaker-mtls:haServices": '["echo","clouddriver"]' }).spinnaker.haServices, ["clouddriver", "echo"]);
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:haServices": '["orca"]' }), ['spinnaker-mtls:haServices names "orca"; allowed: clouddriver, echo (the services Spinnaker can split for high availability)']);
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:services": '["clouddriver","deck","gate"]', "spinnaker-mtls:haServices": '["echo"]' }), ["spinnaker-mtls:haServices names echo, which spinnaker-mtls:services does not enable"]);
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:haServices": '["clouddriver"]', "spinnaker-mtls:istio": "true", "spinnaker-mtls:istioServicePortPatch": "true" }), [
                "spinnaker-mtls:haServices names clouddriver but spinnaker-mtls:istio is true; the mesh would need each split service's port protocol and DestinationRule, which the program does not declare yet: run the split without the mesh, or the mesh without the split",
            ]);
        });
        it("dinghy is refused at clientAuth need: nothing it sends carries a client certificate", () => {
            const armory = { "spinnaker-mtls:spinnakerFlavor": "armory", "spinnaker-mtls:goServicesRedis": "tls-only", "spinnaker-mtls:services": '["clouddriver","deck","dinghy","echo","gate","orca"]' };
            assert.deepStrictEqual(problemsOf(armory), [
                'spinnaker-mtls:services enables dinghy with spinnaker-mtls:clientAuth "need", but dinghy presents no client certificate on any call it makes (its events to echo, its pipelines to orca and front50), so every one would be refused; keep clientAuth "want" while dinghy runs, or remove dinghy from services',
            ]);
            assert.ok(parseStackConfig({ ...defaults, ...armory, "spinnaker-mtls:clientAuth": "want" }).services.includes("dinghy"));
            assert.ok(parseStackConfig({ ...defaults, ...armory, "spinnaker-mtls:services": '["clouddriver","deck","terraformer","echo","gate","orca"]' }).services.includes("terraformer"));
        });
        it("spinnakerFlavor", () => {
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:spinnakerFlavor": "netflix" }), ['spinnaker-mtls:spinnakerFlavor is "netflix"; allowed: armory, oss']);
        });
        it("Armory's Go services need the Armory flavor", () => {
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:services": '["gate","dinghy"]', "spinnaker-mtls:goServicesRedis": "tls-only", "spinnaker-mtls:clientAuth": "want" }), [
                'spinnaker-mtls:services enables dinghy, which only Armory\'s distribution ships, but spinnaker-mtls:spinnakerFlavor is "oss"; set spinnakerFlavor to "armory" or remove them',
            ]);
        });
        it("spinnakerServiceName is an object name", () => {
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:spinnakerServiceName": "Spinnaker" }), [
                'spinnaker-mtls:spinnakerServiceName is "Spinnaker"; allowed: a Kubernetes object name (lower-case letters, digits and \'-\', at most 63 characters)',
            ]);
        });
        it("create mode needs a version, patch mode refuses one", () => {
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:spinnakerServiceMode": "create" }), [
                'spinnaker-mtls:spinnakerVersion is not set; spinnakerServiceMode "create" creates the SpinnakerService and must name the Spinnaker version to deploy, e.g. "2.36.2" (Armory) or "1.36.1" (open source)',
            ]);
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:spinnakerVersion": "1.36.1" }), [
                'spinnaker-mtls:spinnakerVersion is set but spinnaker-mtls:spinnakerServiceMode is "patch"; the version belongs to your existing SpinnakerService, set it there or use mode "create"',
            ]);
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:spinnakerServiceMode": "create", "spinnaker-mtls:spinnakerVersion": "latest" }), [
                'spinnaker-mtls:spinnakerVersion is "latest"; allowed: a release version such as "1.36.1"',
            ]);
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:spinnakerServiceMode": "apply" }), ['spinnaker-mtls:spinnakerServiceMode is "apply"; allowed: patch, create']);
        });
        it("patchForce is a boolean", () => {
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:patchForce": "yes" }), ['spinnaker-mtls:patchForce is "yes"; allowed: true, false']);
        });
        it("halyardDir has no .. segments", () => {
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:halyardDir": "../../etc" }), ['spinnaker-mtls:halyardDir is "../../etc"; allowed: a directory path without ".." segments']);
        });
    });

    describe("otterize", () => {
        const testCaPem = makeCa().certPem;
        const otterize = { "spinnaker-mtls:certificateBackend": "otterize" };
        const withGo = { ...otterize, "spinnaker-mtls:services": JSON.stringify(["clouddriver", "deck", "echo", "front50", "gate", "orca", "rosco", "terraformer"]), "spinnaker-mtls:goServicesRedis": "tls-only", "spinnaker-mtls:spinnakerFlavor": "armory" };
        const accepted = (o: Record<string, string>) => parseStackConfig({ ...defaults, ...o });
        it("the provider and the TTL knob", () => {
            assert.deepStrictEqual(problemsOf({ ...otterize, "spinnaker-mtls:otterizeCertificateProvider": "vault" }), ['spinnaker-mtls:otterizeCertificateProvider is "vault"; allowed: cert-manager, spire, otterize-cloud']);
            assert.deepStrictEqual(problemsOf({ ...otterize, "spinnaker-mtls:otterizeCertTtlHours": "0" }), ['spinnaker-mtls:otterizeCertTtlHours is "0"; allowed: a whole number of hours, 1 to 596523']);
            assert.deepStrictEqual(parseStackConfig({ ...defaults, ...otterize, "spinnaker-mtls:otterizeCertTtlHours": "12" }).certManager.otterize, { provider: "cert-manager", certTtlHours: 12 });
        });
        it("the Go services only through cert-manager, whose default key is RSA in PKCS#1", () => {
            assert.strictEqual(accepted(withGo).certManager.otterize.provider, "cert-manager");
            assert.deepStrictEqual(problemsOf({ ...withGo, "spinnaker-mtls:otterizeCertificateProvider": "spire", "spinnaker-mtls:jvmExtraCaCertsPem": testCaPem }), [
                'spinnaker-mtls:services enables terraformer with spinnaker-mtls:certificateBackend "otterize" and spinnaker-mtls:otterizeCertificateProvider "spire", but that provider gives every workload an EC P-256 key in PKCS#8 and Armory\'s Go services read only RSA keys in PKCS#1 ("RSA PRIVATE KEY"); use otterizeCertificateProvider "cert-manager" (cert-manager\'s default key is RSA in PKCS#1), or remove the Go services',
            ]);
        });
        it("SPIRE or Otterize Cloud: the JVM trust store needs their CA", () => {
            assert.deepStrictEqual(problemsOf({ ...otterize, "spinnaker-mtls:otterizeCertificateProvider": "otterize-cloud" }), [
                'spinnaker-mtls:otterizeCertificateProvider is "otterize-cloud" but spinnaker-mtls:jvmExtraCaCertsPem is not set; every Java service\'s ok-http-client trusts the JVM trust store, which must hold the CA that signs the otterize-cloud certificates (this program\'s CA signs nothing then): set jvmExtraCaCertsPem to that CA bundle',
            ]);
            assert.strictEqual(accepted({ ...otterize, "spinnaker-mtls:otterizeCertificateProvider": "spire", "spinnaker-mtls:jvmExtraCaCertsPem": testCaPem }).certManager.otterize.provider, "spire");
        });
        it("no Halyard files: they would carry the keystore passwords in plain text", () => {
            assert.deepStrictEqual(problemsOf({ ...otterize, "spinnaker-mtls:halyardDir": "out/halyard" }), [
                'spinnaker-mtls:halyardDir is set with spinnaker-mtls:certificateBackend "otterize"; the operator takes each Java service\'s keystore password only as a literal pod annotation, which the Halyard files would carry in plain text on disk: use the Operator (SpinnakerService), or another backend with Halyard',
            ]);
        });
    });

    describe("cert-manager", () => {
        it("defaults: the program's own PKI, cert-manager not installed", () => {
            assert.deepStrictEqual(parseStackConfig(defaults).certManager, {
                backend: "pulumi",
                namespace: "cert-manager",
                install: false,
                // What the e2e suite runs: cert-manager v1.21.2's controller and webhook (README).
                version: "v1.21.2",
                tlsSecretHandover: false,
                otterize: { provider: "cert-manager", certTtlHours: 24 },
            });
        });
        it("certificateBackend", () => {
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:certificateBackend": "vault" }), ['spinnaker-mtls:certificateBackend is "vault"; allowed: pulumi, cert-manager, otterize']);
        });
        it("certManagerVersion is a release, v1.14 or later (the Modern2023 keystore profile)", () => {
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:certManagerVersion": "1.16" }), ['spinnaker-mtls:certManagerVersion is "1.16"; allowed: a cert-manager release such as "v1.16.2"']);
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:certManagerVersion": "v1.13.6" }), [
                'spinnaker-mtls:certManagerVersion is "v1.13.6", older than v1.14; cert-manager writes Java keystores in the Modern2023 profile (readable by OpenSSL 3 and Java 20+) only from v1.14 on',
            ]);
        });
        it("certManagerNamespace is a namespace", () => {
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:certManagerNamespace": "Cert_Manager" }), [
                `spinnaker-mtls:certManagerNamespace is "Cert_Manager"; allowed: a Kubernetes namespace name (lower-case letters, digits and '-', at most 63 characters)`,
            ]);
        });
    });

    describe("istio", () => {
        const mesh = { "spinnaker-mtls:istio": "true", "spinnaker-mtls:istioServicePortPatch": "true" };
        const ingress = { ...mesh, "spinnaker-mtls:ingressHost": "spinnaker.example.com" };
        const acme = { ...ingress, "spinnaker-mtls:ingressIssuer": "acme-dns01", "spinnaker-mtls:acmeEmail": "ops@example.com", "spinnaker-mtls:acmeDns01Solver": '{"cloudflare":{"apiTokenSecretRef":{"name":"cf","key":"token"}}}' };
        it("defaults: no mesh; when on, namespace injection and authorization", () => {
            const c = parseStackConfig({ ...defaults, ...mesh }).istio;
            assert.deepStrictEqual(c, { enabled: true, injection: "namespace", meshWideStrict: false, rootNamespace: "istio-system", trustDomain: "cluster.local", authorizationPolicy: true, servicePortPatch: true });
        });
        it("the mesh needs the explicit yes to the program owning each Service's kustomize patch list", () => {
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:istio": "true" }), [
                'spinnaker-mtls:istio is true but spinnaker-mtls:istioServicePortPatch is false; the Operator names every Service port "http", so Istio would parse the services\' own TLS as HTTP and break every call. ' +
                    "The program declares each port's protocol through spec.kustomize.<svc>.service.patchesStrategicMerge, a list server-side apply owns whole: " +
                    "set istioServicePortPatch to true to agree (put your own Service patches in spinnakerServicePatches: the program writes them into the same list, before its own)",
            ]);
        });
        it("an ingress reads its gateway selector and issuer", () => {
            assert.deepStrictEqual(parseStackConfig({ ...defaults, ...ingress, "spinnaker-mtls:ingressGatewaySelector": "istio=ingressgateway,app=edge" }).istio.ingress, {
                host: "spinnaker.example.com",
                namespace: "istio-system",
                gatewaySelector: { istio: "ingressgateway", app: "edge" },
                gatewayServiceAccount: "istio-ingressgateway-service-account",
                issuer: "spinnaker-ca",
            });
            assert.deepStrictEqual(parseStackConfig({ ...defaults, ...acme }).istio.ingress!.acme, {
                email: "ops@example.com",
                server: "https://acme-v02.api.letsencrypt.org/directory",
                dns01: { cloudflare: { apiTokenSecretRef: { name: "cf", key: "token" } } },
            });
        });
        it("istio, istioInjection, istioTrustDomain", () => {
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:istio": "on" }), ['spinnaker-mtls:istio is "on"; allowed: true, false']);
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:istioInjection": "pod" }), ['spinnaker-mtls:istioInjection is "pod"; allowed: namespace, per-service']);
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:istioTrustDomain": "Cluster Local" }), ['spinnaker-mtls:istioTrustDomain is "Cluster Local"; allowed: a DNS-style trust domain, e.g. "cluster.local"']);
        });
        it("ingressHost: no wildcard, a fully qualified name, and only with istio", () => {
            assert.deepStrictEqual(problemsOf({ ...mesh, "spinnaker-mtls:ingressHost": "*.example.com" }), [
                'spinnaker-mtls:ingressHost is "*.example.com"; a wildcard host would route any name to Spinnaker; allowed: one DNS name, e.g. spinnaker.example.com',
            ]);
            assert.deepStrictEqual(problemsOf({ ...mesh, "spinnaker-mtls:ingressHost": "spinnaker" }), ['spinnaker-mtls:ingressHost is "spinnaker"; allowed: a fully qualified DNS name, e.g. spinnaker.example.com']);
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:ingressHost": "spinnaker.example.com" }), [
                "spinnaker-mtls:ingressHost is set but spinnaker-mtls:istio is false; the ingress is an Istio Gateway, so set istio to true or unset ingressHost",
            ]);
        });
        it("an ingress serves Deck and Gate, so both must be enabled", () => {
            assert.deepStrictEqual(problemsOf({ ...ingress, "spinnaker-mtls:services": '["gate","orca"]' }), [
                "spinnaker-mtls:ingressHost is set but spinnaker-mtls:services does not enable deck; the ingress serves Deck and Gate",
            ]);
        });
        it("behind the ingress Deck has no certificate, so no extra name for it", () => {
            assert.deepStrictEqual(problemsOf({ ...ingress, "spinnaker-mtls:extraSans": '["deck:spinnaker.example.com","gate:api.example.com"]' }), [
                "spinnaker-mtls:extraSans names deck (spinnaker.example.com) but spinnaker-mtls:ingressHost is set: behind the ingress Deck serves plain HTTP to its sidecar and has no certificate to carry the name; the ingress certificate carries the ingress host: remove the deck entries",
            ]);
        });
        it("the gateway's selector and service account", () => {
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:ingressGatewaySelector": "ingressgateway" }), [
                'spinnaker-mtls:ingressGatewaySelector is "ingressgateway"; allowed: label pairs "key=value[,key=value]" selecting your ingress gateway pods, e.g. "istio=ingressgateway"',
            ]);
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:ingressGatewayServiceAccount": "Gateway SA" }), [
                'spinnaker-mtls:ingressGatewayServiceAccount is "Gateway SA"; allowed: the ServiceAccount name of your ingress gateway pods',
            ]);
        });
        describe("ACME", () => {
            it("needs a host, an email and a DNS-01 solver (HTTP-01 is not offered, and the message says why)", () => {
                assert.deepStrictEqual(problemsOf({ ...mesh, "spinnaker-mtls:ingressIssuer": "acme-dns01" }), [
                    'spinnaker-mtls:ingressIssuer is "acme-dns01" but spinnaker-mtls:ingressHost is not set; ACME issues the ingress certificate, so set the host',
                    "spinnaker-mtls:acmeEmail is not set; ingressIssuer \"acme-dns01\" registers an ACME account, which needs a contact email",
                    `spinnaker-mtls:acmeDns01Solver is not set; ingressIssuer "acme-dns01" proves the host through DNS, e.g. '{"route53":{"region":"eu-west-1"}}' (HTTP-01 is not offered: the gateway redirects every HTTP request to HTTPS, and Let's Encrypt's HTTP-01 challenge then never reaches a solver)`,
                ]);
            });
            it("refuses a bad email, a non-https server, and a solver that is not one known DNS provider", () => {
                assert.deepStrictEqual(problemsOf({ ...acme, "spinnaker-mtls:acmeEmail": "ops" }), ['spinnaker-mtls:acmeEmail is "ops"; allowed: an email address for the ACME account']);
                assert.deepStrictEqual(problemsOf({ ...acme, "spinnaker-mtls:acmeServer": "http://acme.example.com/dir" }), [
                    'spinnaker-mtls:acmeServer is "http://acme.example.com/dir"; allowed: the https:// directory URL of an ACME server',
                ]);
                const allowed = "acmeDNS, akamai, azureDNS, cloudDNS, cloudflare, digitalocean, rfc2136, route53, webhook";
                assert.deepStrictEqual(problemsOf({ ...acme, "spinnaker-mtls:acmeDns01Solver": '{"http01":{}}' }), [
                    `spinnaker-mtls:acmeDns01Solver is "{\\"http01\\":{}}"; allowed: a JSON object with one DNS provider of cert-manager's dns01 solver (${allowed}), e.g. '{"route53":{"region":"eu-west-1"}}'`,
                ]);
                assert.strictEqual(problemsOf({ ...acme, "spinnaker-mtls:acmeDns01Solver": "route53" }).length, 1);
                // What cert-manager requires of the provider's body (test/e2e/certManager.e2e.test.ts asks cert-manager itself).
                assert.deepStrictEqual(problemsOf({ ...acme, "spinnaker-mtls:acmeDns01Solver": '{"cloudDNS":{}}' }), [
                    'spinnaker-mtls:acmeDns01Solver is "{\\"cloudDNS\\":{}}"; cloudDNS needs project (cert-manager refuses the issuer otherwise)',
                ]);
                assert.deepStrictEqual(problemsOf({ ...acme, "spinnaker-mtls:acmeDns01Solver": '{"cloudflare":{"apiKeySecretRef":{"name":"cf","key":"k"}}}' }), [
                    'spinnaker-mtls:acmeDns01Solver is "{\\"cloudflare\\":{\\"apiKeySecretRef\\":{\\"name\\":\\"cf\\",\\"key\\":\\"k\\"}}}"; cloudflare needs email with apiKeySecretRef (cert-manager refuses the issuer otherwise)',
                ]);
                assert.deepStrictEqual(problemsOf({ ...acme, "spinnaker-mtls:acmeDns01Solver": '{"route53":{"accessKeyID":"AKIA","accessKeyIDSecretRef":{"name":"a","key":"b"}}}' }).length, 1);
                assert.match(problemsOf({ ...acme, "spinnaker-mtls:acmeDns01Solver": '{"route53":{"accessKeyID":"AKIA","accessKeyIDSecretRef":{"name":"a","key":"b"}}}' })[0], /route53 takes accessKeyID or accessKeyIDSecretRef, not both/);
                assert.match(problemsOf({ ...acme, "spinnaker-mtls:acmeDns01Solver": '{"cloudflare":{}}' })[0], /cloudflare needs exactly one of apiKeySecretRef and apiTokenSecretRef/);
            });
            it("ACME settings without the ACME issuer are refused rather than ignored", () => {
                assert.deepStrictEqual(problemsOf({ ...ingress, "spinnaker-mtls:acmeEmail": "ops@example.com" }), [
                    'spinnaker-mtls:acmeEmail and spinnaker-mtls:acmeDns01Solver apply only with spinnaker-mtls:ingressIssuer "acme-dns01"',
                ]);
            });
        });
    });

    describe("kubernetes (render mode)", () => {
        it("defaults: a cluster from the ambient kubeconfig", () => {
            assert.deepStrictEqual(parseStackConfig(defaults).kubernetes, {});
        });
        it("renderYamlToDirectory and kubeContext are read", () => {
            assert.deepStrictEqual(parseStackConfig({ ...defaults, "spinnaker-mtls:renderYamlToDirectory": "out/render" }).kubernetes, { renderYamlToDirectory: "out/render" });
            assert.deepStrictEqual(parseStackConfig({ ...defaults, "spinnaker-mtls:kubeContext": "prod-eu" }).kubernetes, { context: "prod-eu" });
        });
        it("render mode talks to no cluster: not with kubeContext", () => {
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:renderYamlToDirectory": "out/render", "spinnaker-mtls:kubeContext": "prod-eu" }), [
                "spinnaker-mtls:renderYamlToDirectory and spinnaker-mtls:kubeContext are both set; render mode talks to no cluster, so unset one of them",
            ]);
        });
        it("render mode cannot install cert-manager (a Helm release needs a cluster)", () => {
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:renderYamlToDirectory": "out/render", "spinnaker-mtls:certManagerInstall": "true" }), [
                "spinnaker-mtls:certManagerInstall is true but spinnaker-mtls:renderYamlToDirectory is set; installing cert-manager is a Helm release, which needs a cluster: install cert-manager yourself, or render without it",
            ]);
        });
        it("renderYamlToDirectory must be a path", () => {
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:renderYamlToDirectory": " " }), ['spinnaker-mtls:renderYamlToDirectory is " "; allowed: a directory path']);
        });
    });

    describe("jvmExtraCaCertsPem", () => {
        it("accepts CA certificates", () => {
            const ca = makeCa();
            assert.strictEqual(parseStackConfig({ ...defaults, "spinnaker-mtls:jvmExtraCaCertsPem": ca.certPem }).jvmExtraCaCertsPem, ca.certPem);
        });
        it("refuses a leaf", () => {
            assert.deepStrictEqual(problemsOf({ "spinnaker-mtls:jvmExtraCaCertsPem": makeCa({ isCa: false }).certPem }), [
                'spinnaker-mtls:jvmExtraCaCertsPem certificate 1 (subject "CN=Imported CA") is not a CA certificate (basicConstraints CA:TRUE is required)',
            ]);
        });
    });

    it("reports every problem at once", () => {
        const problems = problemsOf({ "spinnaker-mtls:clientAuth": "maybe", "spinnaker-mtls:keyAlgorithm": "DSA" });
        assert.strictEqual(problems.length, 2);
    });
});
