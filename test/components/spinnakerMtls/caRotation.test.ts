// A whole CA rotation of the dev stack (backend pulumi) under the offline
// engine, each phase run over the export of the one before, as `pulumi up`
// runs over the last deployment: what every store holds and who signed every
// certificate (read from the Secrets, by fingerprint), what each step changes,
// that a skipped phase is refused before anything is registered, and that
// finishing changes nothing. The handshakes themselves are judged by real
// peers in test/peers/caRotationDrill.test.ts and under the CLI in
// test/e2e/caRotation.e2e.test.ts.
import * as assert from "assert";
import * as crypto from "crypto";
import { FORCE_CA_ROTATION_ENV } from "../../../components/pki/caRotation";
import { RunResult } from "../../../engine/run";
import { unwrap } from "../../../engine/monitor";
import { emulatorFor } from "../../../engine/providers";
import { run, secretsByName, serviceSecrets } from "../../support/stacks";

const STACK = "dev";
const NOW = new Date("2026-12-01T00:00:00Z");
const key = (k: string) => `spinnaker-mtls:${k}`;

const certificates = (pem: string): crypto.X509Certificate[] => (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((b) => new crypto.X509Certificate(b));
/**
 * A CA by its public key: the stores hold the generated CA re-signed with
 * name constraints (nameConstrainedCa.ts), another certificate than the tls
 * resource's, of the same CA.
 */
const caKey = (c: crypto.X509Certificate): string => crypto.createHash("sha256").update(c.publicKey.export({ type: "spki", format: "der" })).digest("hex");
const fingerprints = (pem: string): string[] => certificates(pem).map(caKey);

/** The generated CA certificates the run holds, by resource name. */
function caCertificates(r: RunResult): Record<string, crypto.X509Certificate> {
    return Object.fromEntries(
        r.resources.filter((x) => x.type === "tls:index/selfSignedCert:SelfSignedCert").map((x) => [x.urn.split("::").pop()!, new crypto.X509Certificate((unwrap(x.outputs) as { certPem: string }).certPem)]),
    );
}

/**
 * Per service: the fingerprints its ca.crt holds, and the CA its tls.crt chains to (by fingerprint, checked
 * by signature): the leaf, then the issuing CA it carries when it has one (the Go services' leaves have none).
 */
function storesAndSigners(r: RunResult, cas: crypto.X509Certificate[]): Map<string, { trusted: string[]; signer: string }> {
    const out = new Map<string, { trusted: string[]; signer: string }>();
    const signed = (child: crypto.X509Certificate, parent: crypto.X509Certificate) => child.checkIssued(parent) && child.verify(parent.publicKey);
    for (const [service, files] of serviceSecrets(r)) {
        const chain = certificates(files.files["tls.crt"].toString("utf8"));
        assert.ok(chain.length <= 2, `${service}: tls.crt is the leaf and at most one issuing CA`);
        for (let i = 1; i < chain.length; i++) assert.ok(signed(chain[i - 1], chain[i]), `${service}: certificate ${i} of tls.crt signed certificate ${i - 1}`);
        const last = chain[chain.length - 1];
        const signers = cas.filter((ca) => signed(last, ca));
        assert.strictEqual(signers.length, 1, `${service}: exactly one known CA signed its certificate`);
        out.set(service, { trusted: fingerprints(files.files["ca.crt"].toString("utf8")), signer: caKey(signers[0]) });
    }
    return out;
}

/** A generated CA's resources: the component, its root's key and certificate, and its issuing CA's key, request and certificate. */
const caResources = (ca: string) => [ca, `${ca}-cert`, `${ca}-issuing-cert`, `${ca}-issuing-csr`, `${ca}-issuing-key`, `${ca}-key`];
const opsOf = (r: RunResult) => r.plan.reduce<Record<string, string[]>>((acc, s) => ({ ...acc, [s.op]: [...(acc[s.op] ?? []), `${s.type}::${s.urn.split("::").pop()}`] }), {});
const changed = (r: RunResult) => r.plan.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.urn.split("::").pop()}`).sort();

describe("SpinnakerMtls: a CA rotation of the dev stack, phase by phase", function () {
    this.timeout(120_000);
    const phases: Record<string, RunResult> = {};
    let services: string[];

    before(async () => {
        let previous: RunResult | undefined;
        const steps: [string, Record<string, string>][] = [
            ["none", {}],
            ["trust-both", { [key("caRotation")]: "trust-both" }],
            ["issue-next", { [key("caRotation")]: "issue-next" }],
            ["trust-next", { [key("caRotation")]: "trust-next" }],
            ["finished", { [key("caGeneration")]: "2" }],
            ["finished again", { [key("caGeneration")]: "2" }],
        ];
        for (const [name, config] of steps) {
            previous = await run({ stack: STACK, config, now: NOW, ...(previous ? { previous: previous.export } : {}) });
            phases[name] = previous;
        }
        services = [...serviceSecrets(phases.none).keys()];
    });

    it("trust-both adds the next CA to every store; issue-next re-signs every certificate with it; trust-next drops the old one", () => {
        const first = caCertificates(phases.none)["spinnaker-ca-cert"];
        const second = caCertificates(phases["trust-both"])["spinnaker-ca-g2-cert"];
        assert.ok(first && second && first.fingerprint256 !== second.fingerprint256, "a second CA exists from trust-both on");
        const cas = [first, second];
        const [one, two] = [caKey(first), caKey(second)];
        const expected: Record<string, { trusted: string[]; signer: string }> = {
            none: { trusted: [one], signer: one },
            "trust-both": { trusted: [one, two], signer: one },
            "issue-next": { trusted: [one, two], signer: two },
            "trust-next": { trusted: [two], signer: two },
            finished: { trusted: [two], signer: two },
        };
        for (const [phase, want] of Object.entries(expected)) {
            const got = storesAndSigners(phases[phase], cas);
            assert.deepStrictEqual([...got.keys()].sort(), [...services].sort(), phase);
            for (const [service, seen] of got) assert.deepStrictEqual(seen, want, `${phase}: ${service}`);
            const redis = secretsByName(phases[phase]).get("spin-redis-tls")!;
            assert.deepStrictEqual(fingerprints(redis.files["ca.crt"].toString("utf8")), want.trusted, `${phase}: Redis's tls-ca-cert-file`);
            // The stack output holds what every ca.crt holds.
            assert.deepStrictEqual(fingerprints(String(unwrap(phases[phase].stackOutputs.caCertificatePem))), want.trusted, `${phase}: caCertificatePem`);
        }
        assert.strictEqual(caCertificates(phases["trust-next"])["spinnaker-ca-cert"], undefined, "trust-next no longer holds the first CA");
    });

    it("each phase rewrites every service's Secret and rolls the SpinnakerService once; only issue-next re-issues certificates", () => {
        const secretsOf = (names: string[]) => names.filter((n) => n.startsWith("kubernetes:core/v1:Secret::")).map((n) => n.split("::")[1]).sort();
        // Redis's Secret too: its ca.crt is the store its replicas and client certificates are judged by.
        // The JVM-wide store holds CAs only: issue-next, which changes no store, leaves it byte for byte.
        const expectedSecrets = (phase: string) => [...services.map((s) => `spin-${s}-secret`), "spin-redis-secret", ...(phase === "issue-next" ? [] : ["jvm-truststore-secret"])].sort();
        for (const phase of ["trust-both", "issue-next", "trust-next"]) {
            const ops = opsOf(phases[phase]);
            assert.deepStrictEqual(secretsOf(ops.update ?? []), expectedSecrets(phase), `${phase}: the Secrets updated`);
            assert.deepStrictEqual((ops.update ?? []).filter((n) => n.includes("SpinnakerServicePatch")).length, 1, `${phase}: one SpinnakerService update`);
            const reissued = (ops.replace ?? []).filter((n) => n.startsWith("tls:index/locallySignedCert"));
            assert.strictEqual(reissued.length, phase === "issue-next" ? services.length + 1 : 0, `${phase}: certificates re-issued (every service's and Redis's)`);
        }
        assert.deepStrictEqual((opsOf(phases["trust-both"]).create ?? []).map((n) => n.split("::")[1]).sort(), caResources("spinnaker-ca-g2"));
        assert.deepStrictEqual((opsOf(phases["trust-next"]).delete ?? []).map((n) => n.split("::")[1]).sort(), caResources("spinnaker-ca"));
    });

    it("finishing (caGeneration 2, caRotation none) changes no resource and no output, and re-running changes nothing", () => {
        assert.deepStrictEqual(changed(phases.finished), []);
        // Every output but the one that says what the up was judged against (trust-next's own, now).
        const { lastDeployedCaTrust: judged, ...outputs } = phases.finished.stackOutputs;
        const { lastDeployedCaTrust: judgedBefore, ...outputsBefore } = phases["trust-next"].stackOutputs;
        assert.deepStrictEqual(outputs, outputsBefore);
        assert.deepStrictEqual([unwrap(judgedBefore), unwrap(judged)], [unwrap(phases["issue-next"].stackOutputs.caTrust), unwrap(phases["trust-next"].stackOutputs.caTrust)]);
        assert.deepStrictEqual(changed(phases["finished again"]), []);
    });

    it("re-running a phase (after an interruption, say) changes nothing", async () => {
        const again = await run({ stack: STACK, config: { [key("caRotation")]: "issue-next" }, now: NOW, previous: phases["issue-next"].export });
        assert.deepStrictEqual(changed(again), []);
    });

    it("refuses a skipped phase before anything is registered, naming caRotation; the named force lets it through", async () => {
        const attempt = () => run({ stack: STACK, config: { [key("caRotation")]: "trust-next" }, now: NOW, previous: phases["trust-both"].export });
        await assert.rejects(attempt(), (e: Error) => {
            assert.match(e.message, /^ {2}- spinnaker-mtls:caRotation is "trust-next", and the last deployment's stores trust/m);
            return true;
        });
        const before = process.env[FORCE_CA_ROTATION_ENV];
        process.env[FORCE_CA_ROTATION_ENV] = "trust-next";
        try {
            const forced = await attempt();
            assert.ok(changed(forced).length > 0);
        } finally {
            if (before === undefined) delete process.env[FORCE_CA_ROTATION_ENV];
            else process.env[FORCE_CA_ROTATION_ENV] = before;
        }
    });

    it("refuses abandoning the rotation after issue-next, and allows it after trust-both", async () => {
        await assert.rejects(run({ stack: STACK, now: NOW, previous: phases["issue-next"].export }), /caRotation is "none"/);
        const abandoned = await run({ stack: STACK, now: NOW, previous: phases["trust-both"].export });
        assert.deepStrictEqual((opsOf(abandoned).delete ?? []).map((n) => n.split("::")[1]).sort(), caResources("spinnaker-ca-g2"));
    });

    it("rotates to an imported CA: finishing moves caNextCertPem and caNextKeyPem to caCertPem and caKeyPem and changes nothing", async () => {
        // An organisation's next CA, valid for longer than the stack's certificates.
        const create = (type: string, inputs: Record<string, unknown>) => emulatorFor(type)!.create(inputs, { name: "next", type, now: NOW }).outputs;
        const nextKey = create("tls:index/privateKey:PrivateKey", { algorithm: "ECDSA", ecdsaCurve: "P256" });
        const nextCert = create("tls:index/selfSignedCert:SelfSignedCert", { privateKeyPem: nextKey.privateKeyPem, isCaCertificate: true, allowedUses: ["cert_signing", "crl_signing"], subject: { commonName: "Next organisation CA" }, validityPeriodHours: 8760 });
        const next = { certPem: nextCert.certPem as string, keyPem: nextKey.privateKeyPem as string };
        const nextKeys = { [key("caNextCertPem")]: next.certPem, [key("caNextKeyPem")]: next.keyPem };
        const secretKeys = [key("caNextKeyPem"), key("caKeyPem")];
        let previous = phases.none;
        for (const phase of ["trust-both", "issue-next", "trust-next"]) {
            previous = await run({ stack: STACK, config: { [key("caRotation")]: phase, ...nextKeys }, secretConfigKeys: secretKeys, now: NOW, previous: previous.export });
        }
        // An imported CA is trusted as given, byte for byte: the program re-signs only a CA it generates.
        const storeOf = (r: RunResult) => certificates(serviceSecrets(r).get("orca")!.files["ca.crt"].toString("utf8")).map((c) => c.fingerprint256);
        assert.deepStrictEqual(storeOf(previous), [new crypto.X509Certificate(next.certPem).fingerprint256]);
        const finished = await run({
            stack: STACK,
            config: { [key("caGeneration")]: "2", [key("caCertPem")]: next.certPem, [key("caKeyPem")]: next.keyPem },
            secretConfigKeys: secretKeys,
            now: NOW,
            previous: previous.export,
        });
        assert.deepStrictEqual(changed(finished), []);
    });
});
