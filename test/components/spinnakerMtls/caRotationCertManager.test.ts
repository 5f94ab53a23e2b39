// A whole CA rotation of the prod stack (backend cert-manager) under the
// offline engine, each phase run over the export of the one before: what the
// program's trust bundle holds, which Issuer every Certificate names and which
// CA that Issuer signs with, what rolls the pods, and that finishing changes
// nothing. cert-manager's own answer (the re-issued Secrets) and the
// handshakes across phases are judged under the real controller and CLI in
// test/e2e/caRotationCertManager.e2e.test.ts.
import * as assert from "assert";
import * as crypto from "crypto";
import { RunResult } from "../../../engine/run";
import { unwrap } from "../../../engine/monitor";
import { objectNamed, ofType, run, secretsByName } from "../../support/stacks";

const STACK = "prod";
const NOW = new Date("2026-12-01T00:00:00Z");
const key = (k: string) => `spinnaker-mtls:${k}`;
/** The Secret every consumer reads its CAs from beside cert-manager (docs/ca-rotation.md, "With cert-manager"). */
const TRUST = "spinnaker-mtls-ca-trust";

const certificates = (pem: string): crypto.X509Certificate[] => (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((b) => new crypto.X509Certificate(b));
/** A CA by its public key (the stores hold the re-signed root, the state the tls resource's: the same key). */
const caKey = (c: crypto.X509Certificate): string => crypto.createHash("sha256").update(c.publicKey.export({ type: "spki", format: "der" })).digest("hex");

type Obj = { metadata: { name: string; namespace?: string }; spec: Record<string, unknown> };
const objects = (r: RunResult, type: string): Obj[] => ofType(r, type).map((x) => unwrap(x.inputs) as Obj);
type PodAnnotations = Record<string, Record<string, string>>;
function podAnnotations(r: RunResult): PodAnnotations {
    const patch = ofType(r, "kubernetes:spinnaker.armory.io/v1alpha2:SpinnakerServicePatch").map((x) => unwrap(x.inputs) as { spec: { spinnakerConfig: { "service-settings": Record<string, { kubernetes?: { podAnnotations?: Record<string, string> } }> } } });
    assert.strictEqual(patch.length, 1);
    return Object.fromEntries(Object.entries(patch[0].spec.spinnakerConfig["service-settings"]).map(([s, v]) => [s, v.kubernetes?.podAnnotations ?? {}]));
}
const opOf = (r: RunResult, suffix: string) => r.plan.filter((s) => s.urn.endsWith(suffix)).map((s) => s.op);

describe("SpinnakerMtls: a CA rotation of the prod stack (cert-manager), phase by phase", function () {
    this.timeout(180_000);
    const phases: Record<string, RunResult> = {};
    /** generation 1's root and generation 2's, by key, from the generated CAs' own certificates. */
    let current = "";
    let next = "";

    before(async () => {
        let previous: RunResult | undefined;
        const steps: [string, Record<string, string>][] = [
            ["none", {}],
            ["trust-both", { [key("caRotation")]: "trust-both" }],
            ["issue-next", { [key("caRotation")]: "issue-next" }],
            ["trust-next", { [key("caRotation")]: "trust-next" }],
            ["finished", { [key("caGeneration")]: "2" }],
        ];
        for (const [name, config] of steps) {
            previous = await run({ stack: STACK, config, now: NOW, ...(previous ? { previous: previous.export } : {}) });
            phases[name] = previous;
        }
        const root = (r: RunResult, name: string) => caKey(new crypto.X509Certificate((unwrap(ofType(r, "tls:index/selfSignedCert:SelfSignedCert").find((x) => x.urn.endsWith(`::${name}-cert`))!.outputs) as { certPem: string }).certPem));
        current = root(phases["trust-both"], "spinnaker-ca");
        next = root(phases["trust-both"], "spinnaker-ca-g2");
        assert.notStrictEqual(current, next);
    });

    it("the trust bundle holds the phase's CAs: current, current + next, current + next, next, next", () => {
        const want: Record<string, string[]> = { none: [current], "trust-both": [current, next], "issue-next": [current, next], "trust-next": [next], finished: [next] };
        for (const [phase, roots] of Object.entries(want)) {
            const trust = secretsByName(phases[phase]).get(TRUST);
            assert.ok(trust, `${phase}: no ${TRUST}`);
            assert.deepStrictEqual(certificates(trust.files["ca.crt"].toString()).map(caKey), roots, phase);
            assert.deepStrictEqual(Object.keys(trust.files).sort(), ["ca.crt", "truststore-password", "truststore.p12"], phase);
        }
    });

    it("every Certificate names the Issuer of the phase's signer, whose Secret holds that CA's issuing CA; the old one goes once it no longer signs (issue-next)", () => {
        const want: Record<string, string> = { none: "spinnaker-mtls-ca", "trust-both": "spinnaker-mtls-ca", "issue-next": "spinnaker-mtls-ca-g2", "trust-next": "spinnaker-mtls-ca-g2", finished: "spinnaker-mtls-ca-g2" };
        for (const [phase, issuer] of Object.entries(want)) {
            const r = phases[phase];
            // prod's ingress certificate comes from its ACME Issuer, which no rotation touches.
            const certs = objects(r, "kubernetes:cert-manager.io/v1:Certificate").filter((c) => (c.spec.issuerRef as { name: string }).name !== "spinnaker-mtls-acme");
            assert.ok(certs.length >= 10, `${phase}: ${certs.length} Certificates`);
            for (const c of certs) assert.deepStrictEqual(c.spec.issuerRef, { name: issuer, kind: "Issuer", group: "cert-manager.io" }, `${phase}: ${c.metadata.name}`);
            // One CA Issuer per namespace it is needed in, all of the phase's signer, each beside its Secret of the same name.
            const issuers = objects(r, "kubernetes:cert-manager.io/v1:Issuer").filter((i) => "ca" in i.spec);
            assert.ok(issuers.length > 0 && issuers.every((i) => i.metadata.name === issuer && (i.spec.ca as { secretName: string }).secretName === issuer), `${phase}: ${JSON.stringify(issuers.map((i) => i.metadata))}`);
            const secret = secretsByName(r).get(issuer)!;
            const [issuingCa] = certificates(secret.files["tls.crt"].toString());
            const root = certificates(secret.files["ca.crt"].toString());
            assert.strictEqual(root.length, 1, phase);
            assert.ok(issuingCa.checkIssued(root[0]) && issuingCa.verify(root[0].publicKey), `${phase}: the Issuer's CA is signed by its ca.crt`);
            assert.strictEqual(caKey(root[0]), issuer.endsWith("-g2") ? next : current, `${phase}: the Issuer signs with the phase's CA`);
        }
    });

    it("the pods roll through pulumi up when the trust changes (trust-both, trust-next) and never for the issuer; Redis never rolls", () => {
        const order = ["none", "trust-both", "issue-next", "trust-next", "finished"];
        const trustMoves = new Set(["trust-both", "trust-next"]);
        for (let i = 1; i < order.length; i++) {
            const [before, after] = [podAnnotations(phases[order[i - 1]]), podAnnotations(phases[order[i]])];
            const java = Object.keys(after).filter((s) => after[s]["spinnaker-mtls/ca-trust-checksum"] !== undefined);
            assert.ok(java.length >= 8, `${order[i]}: services reading the trust bundle: ${java.join(",")}`);
            for (const s of java) {
                const moved = (a: string) => before[s][a] !== after[s][a];
                assert.strictEqual(moved("spinnaker-mtls/ca-trust-checksum"), trustMoves.has(order[i]), `${order[i]}: ${s}'s ca-trust-checksum`);
                assert.strictEqual(moved("spinnaker-mtls/jvm-truststore-checksum"), after[s]["spinnaker-mtls/jvm-truststore-checksum"] !== undefined && trustMoves.has(order[i]), `${order[i]}: ${s}'s jvm-truststore-checksum`);
                // cert-manager re-issues at issue-next, and Reloader restarts on that: the spec digest leaves the issuer out.
                assert.ok(!moved("spinnaker-mtls/tls-checksum"), `${order[i]}: ${s}'s tls-checksum moved`);
                assert.ok(!moved("secret.reloader.stakater.com/reload"), `${order[i]}: ${s}'s Reloader annotation`);
                assert.ok(!after[s]["secret.reloader.stakater.com/reload"].split(",").includes(TRUST), `${s}: Reloader would restart it a second time on the trust bundle`);
            }
            for (const sts of ["::spin-redis-statefulset", "::spin-redis-go-statefulset"]) assert.deepStrictEqual(opOf(phases[order[i]], sts), ["same"], `${order[i]}: ${sts}`);
        }
    });

    it("the services read their CAs from the trust bundle and only their key and certificate from cert-manager's Secret", () => {
        const patch = objectNamed<{ spec: { spinnakerConfig: { profiles: Record<string, { server?: { ssl?: Record<string, unknown> } }> } } }>(phases["issue-next"], "kubernetes:spinnaker.armory.io/v1alpha2:SpinnakerServicePatch", "spinnaker");
        const java = Object.entries(patch.spec.spinnakerConfig.profiles).filter(([, p]) => typeof p.server?.ssl?.["key-store"] === "string");
        assert.ok(java.length >= 8);
        for (const [s, p] of java) {
            assert.strictEqual(p.server!.ssl!["trust-store"], `encryptedFile:k8s!n:${TRUST}!k:truststore.p12`, s);
            assert.strictEqual(p.server!.ssl!["trust-store-password"], `encrypted:k8s!n:${TRUST}!k:truststore-password`, s);
            assert.strictEqual(p.server!.ssl!["key-store"], `encryptedFile:k8s!n:spin-${s}-tls!k:keystore.p12`, s);
        }
    });

    it("finishing (caGeneration 2, caRotation none) changes no resource", () => {
        assert.deepStrictEqual(phases.finished.plan.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.urn}`), []);
    });
});
