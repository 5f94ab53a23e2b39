// Convergence on a rotation phase, judged from what a cluster would hold: the
// Secrets the program wrote in each phase (offline runs of dev over one
// another) and pods described by their checksum annotations, their creation
// times, Redis's tls-reload log and readiness.
import * as assert from "assert";
import * as crypto from "crypto";
import {
    CA_TRUST_CHECKSUM_ANNOTATION, JVM_TRUSTSTORE_CHECKSUM_ANNOTATION, ObservedPod, ObservedSecret, TLS_CHECKSUM_ANNOTATION, consumersOf, phaseExpectation, rotationStatus, trustExpectation,
} from "../../../components/pki/rotationStatus";
import { secretChecksum } from "../../../components/pki/secretLayout";
import { unwrap } from "../../../engine/monitor";
import { RunResult } from "../../../engine/run";
import { ofType, run } from "../../support/stacks";

const NOW = new Date("2026-12-01T00:00:00Z");
const CONSUMERS = consumersOf([{ name: "orca", java: true }, { name: "gate", java: true }], [{ name: "redis" }]);

/** Every Secret of a run as the API server returns it (data base64), by name. */
function clusterSecrets(r: RunResult): Map<string, ObservedSecret> {
    return new Map(
        ofType(r, "kubernetes:core/v1:Secret").map((x) => {
            const o = unwrap(x.outputs) as { metadata: { name: string }; data: Record<string, string> };
            return [o.metadata.name, { name: o.metadata.name, data: o.data }];
        }),
    );
}

/**
 * What Redis's tls-reload container logs after loading these files: `cat tls.crt ca.crt | sha256sum`
 * (redisCommands.ts; test/peers/redisReload.test.ts runs the real script and holds it to that).
 */
const reloadedDigest = (s: ObservedSecret, trust = s) =>
    crypto.createHash("sha256").update(Buffer.concat([Buffer.from(s.data["tls.crt"], "base64"), Buffer.from(trust.data["ca.crt"], "base64")])).digest("hex");

/** A pod of each consumer, started with the given Secrets (their checksums on its annotations; Redis: its last reload). */
function podsStartedWith(secrets: Map<string, ObservedSecret>, ready = true): ObservedPod[] {
    const jvm = secretChecksum(secrets.get("spinnaker-mtls-jvm-truststore")!.data);
    return [
        { name: "spin-orca-6d4f9c7b8-x2x9q", annotations: { [TLS_CHECKSUM_ANNOTATION]: secretChecksum(secrets.get("spin-orca-tls")!.data), [JVM_TRUSTSTORE_CHECKSUM_ANNOTATION]: jvm }, ready },
        { name: "spin-gate-5b7c8d9f6-k8m2p", annotations: { [TLS_CHECKSUM_ANNOTATION]: secretChecksum(secrets.get("spin-gate-tls")!.data), [JVM_TRUSTSTORE_CHECKSUM_ANNOTATION]: jvm }, ready },
        { name: "spin-redis-0", annotations: {}, ready, tlsReload: { digest: reloadedDigest(secrets.get("spin-redis-tls")!) } },
    ];
}

describe("CA rotation status: a cluster's convergence on a phase", function () {
    this.timeout(60_000);
    const phases: Record<string, RunResult> = {};
    before(async () => {
        let previous: RunResult | undefined;
        for (const phase of ["none", "trust-both", "issue-next", "trust-next"]) {
            previous = await run({ stack: "dev", config: { "spinnaker-mtls:caRotation": phase }, now: NOW, ...(previous ? { previous: previous.export } : {}) });
            phases[phase] = previous;
        }
    });

    it("finds every consumer converged when its Secret holds the phase's CAs and its pods started with it", () => {
        for (const phase of ["none", "trust-both", "issue-next", "trust-next"] as const) {
            const secrets = clusterSecrets(phases[phase]);
            const rows = rotationStatus(phaseExpectation(phase), CONSUMERS, secrets, podsStartedWith(secrets), secrets.get("spinnaker-mtls-jvm-truststore"));
            assert.deepStrictEqual(rows.map((r) => [r.consumer, r.converged, r.notes]), CONSUMERS.map((c) => [c.name, true, []]), phase);
            assert.strictEqual(rows[0].trusted.length, phase === "trust-both" || phase === "issue-next" ? 2 : 1);
            // The signer by fingerprint: the second root only at issue-next.
            assert.strictEqual(rows[0].signer, rows[0].trusted[phase === "issue-next" ? 1 : 0], phase);
        }
    });

    it("judges a deployment by its recorded caTrust as by its phase", () => {
        const secrets = clusterSecrets(phases["issue-next"]);
        const recorded = unwrap(phases["issue-next"].stackOutputs.caTrust) as { trusted: string[]; signer: string };
        assert.deepStrictEqual(trustExpectation(recorded), { ...phaseExpectation("issue-next"), label: "the last deployment's phase" });
        assert.ok(rotationStatus(trustExpectation(recorded), CONSUMERS, secrets, podsStartedWith(secrets)).every((r) => r.converged));
    });

    it("finds a Secret still at the phase before unconverged, saying how many CAs it holds and the phase wants", () => {
        const secrets = clusterSecrets(phases.none);
        const rows = rotationStatus(phaseExpectation("trust-both"), CONSUMERS, secrets, podsStartedWith(secrets));
        assert.ok(rows.every((r) => !r.converged));
        assert.deepStrictEqual(rows[0].notes, ["spin-orca-tls's ca.crt holds 1 CA root; trust-both wants 2"]);
    });

    it("finds a certificate signed by the wrong CA of the two", () => {
        const secrets = clusterSecrets(phases["trust-both"]);
        const rows = rotationStatus(phaseExpectation("issue-next"), CONSUMERS, secrets, podsStartedWith(secrets));
        assert.deepStrictEqual(rows[0].notes, ["spin-orca-tls's certificate is signed by the first CA of ca.crt; issue-next signs with the second"]);
    });

    it("finds a pod that has not restarted since its Secret changed, a pod not ready, and an old JVM trust store", () => {
        const before = clusterSecrets(phases.none);
        const after = clusterSecrets(phases["trust-both"]);
        const pods = [...podsStartedWith(after).slice(1), { ...podsStartedWith(before)[0] }, { ...podsStartedWith(after, false)[2], name: "spin-redis-1" }, { ...podsStartedWith(before)[2], name: "spin-redis-2" }];
        const rows = rotationStatus(phaseExpectation("trust-both"), CONSUMERS, after, pods, after.get("spinnaker-mtls-jvm-truststore"));
        const orca = rows.find((r) => r.consumer === "orca")!;
        assert.strictEqual(orca.converged, false);
        assert.deepStrictEqual(orca.notes, [
            `pod spin-orca-6d4f9c7b8-x2x9q started with an earlier spin-orca-tls (its ${TLS_CHECKSUM_ANNOTATION} differs): it has not restarted since the Secret changed`,
            `pod spin-orca-6d4f9c7b8-x2x9q started with an earlier JVM trust store (its ${JVM_TRUSTSTORE_CHECKSUM_ANNOTATION} differs)`,
        ]);
        const redis = rows.find((r) => r.consumer === "redis")!;
        // Redis reloads in place: a pod whose tls-reload last loaded the phase before's files has not caught up.
        assert.deepStrictEqual([redis.converged, redis.pods, redis.notes], [
            false,
            3,
            [
                "pod spin-redis-1 is not ready",
                "pod spin-redis-2's Redis last loaded another tls.crt or ca.crt than spin-redis-tls now hold: its tls-reload container has not reloaded since they changed",
            ],
        ]);
        assert.strictEqual(rows.find((r) => r.consumer === "gate")!.converged, true);
    });

    it("finds a Redis whose tls-reload log could not be read, or records no reload, unconverged", () => {
        const secrets = clusterSecrets(phases["trust-both"]);
        const [, , redis] = podsStartedWith(secrets);
        const pods = [
            { ...redis, tlsReload: { error: "its tls-reload log could not be read: GET …: HTTP 403" } },
            { ...redis, name: "spin-redis-1", tlsReload: undefined },
        ];
        const row = rotationStatus(phaseExpectation("trust-both"), CONSUMERS, secrets, pods).find((r) => r.consumer === "redis")!;
        assert.deepStrictEqual([row.converged, row.notes], [
            false,
            [
                "pod spin-redis-0: which files its Redis loaded is unknown (its tls-reload log could not be read: GET …: HTTP 403)",
                "pod spin-redis-1: which files its Redis loaded is unknown (its tls-reload container has logged no reload)",
            ],
        ]);
    });

    describe("beside cert-manager: trust from the program's bundle, certificates Reloader restarts the pods on", () => {
        // The same material, laid out as the cert-manager backend does: cert-manager's Secret holds the
        // leaf (its own ca.crt is the issuer's CA alone), the program's trust bundle holds the phase's CAs.
        const TRUST = "spinnaker-mtls-ca-trust";
        const CM = consumersOf([{ name: "orca", java: true, certManager: true, trustSecretName: TRUST }], [{ name: "redis", trustSecretName: TRUST }]);
        const layout = (r: RunResult, written: string): Map<string, ObservedSecret> => {
            const all = clusterSecrets(r);
            const leaf = (n: string): ObservedSecret => ({ name: n, data: { "tls.crt": all.get(n)!.data["tls.crt"], "tls.key": all.get(n)!.data["tls.key"], "ca.crt": "" }, changedAt: written });
            return new Map([
                ["spin-orca-tls", leaf("spin-orca-tls")],
                ["spin-redis-tls", leaf("spin-redis-tls")],
                [TRUST, { name: TRUST, data: { "ca.crt": all.get("spin-orca-tls")!.data["ca.crt"] }, changedAt: written }],
            ]);
        };
        const pods = (secrets: Map<string, ObservedSecret>, createdAt: string): ObservedPod[] => [
            { name: "spin-orca-6d4f9c7b8-x2x9q", annotations: { [TLS_CHECKSUM_ANNOTATION]: "a digest of the Certificate's spec", [CA_TRUST_CHECKSUM_ANNOTATION]: secretChecksum(secrets.get(TRUST)!.data) }, ready: true, createdAt },
            { name: "spin-redis-0", annotations: {}, ready: true, createdAt: "2026-11-01T00:00:00Z", tlsReload: { digest: reloadedDigest(secrets.get("spin-redis-tls")!, secrets.get(TRUST)!) } },
        ];

        it("is converged in every phase when the pods started after the Secrets' last write and Redis reloaded both", () => {
            for (const phase of ["none", "trust-both", "issue-next", "trust-next"] as const) {
                const secrets = layout(phases[phase], "2026-12-01T10:00:00Z");
                const rows = rotationStatus(phaseExpectation(phase), CM, secrets, pods(secrets, "2026-12-01T10:00:00Z"));
                assert.deepStrictEqual(rows.map((r) => [r.consumer, r.converged, r.notes]), [["orca", true, []], ["redis", true, []]], phase);
                assert.strictEqual(rows[0].signer, rows[0].trusted[phase === "issue-next" ? 1 : 0], phase);
            }
        });

        it("finds a pod created before cert-manager re-issued its certificate, one started with an older trust bundle, and a Redis that has not reloaded", () => {
            const before = layout(phases["trust-both"], "2026-12-01T09:00:00Z");
            const after = layout(phases["issue-next"], "2026-12-01T10:00:05Z");
            const [, redisBefore] = pods(before, "2026-12-01T09:30:00Z");
            const orca = { ...pods(after, "2026-12-01T10:00:04Z")[0] };
            const rows = rotationStatus(phaseExpectation("issue-next"), CM, after, [orca, redisBefore]);
            assert.deepStrictEqual(rows.map((r) => [r.consumer, r.converged, r.notes]), [
                ["orca", false, ["pod spin-orca-6d4f9c7b8-x2x9q started (2026-12-01T10:00:04Z) before spin-orca-tls last changed (2026-12-01T10:00:05Z): Reloader has not restarted it since"]],
                ["redis", false, ["pod spin-redis-0's Redis last loaded another tls.crt or ca.crt than spin-redis-tls and spinnaker-mtls-ca-trust now hold: its tls-reload container has not reloaded since they changed"]],
            ]);
            const stale = { ...orca, createdAt: "2026-12-01T10:00:05Z", annotations: { ...orca.annotations, [CA_TRUST_CHECKSUM_ANNOTATION]: secretChecksum(layout(phases.none, "x").get(TRUST)!.data) } };
            assert.deepStrictEqual(rotationStatus(phaseExpectation("issue-next"), CM, after, [stale])[0].notes, [
                `pod spin-orca-6d4f9c7b8-x2x9q started with an earlier spinnaker-mtls-ca-trust (its ${CA_TRUST_CHECKSUM_ANNOTATION} differs): it has not restarted since the Secret changed`,
            ]);
        });

        it("reads the CAs from the bundle, not from cert-manager's ca.crt", () => {
            const secrets = layout(phases["trust-both"], "2026-12-01T10:00:00Z");
            const rows = rotationStatus(phaseExpectation("trust-both"), CM, secrets, []);
            assert.deepStrictEqual(rows.map((r) => r.trusted.length), [2, 2]);
            const without = new Map(secrets);
            without.delete(TRUST);
            assert.deepStrictEqual(rotationStatus(phaseExpectation("trust-both"), CM, without, [])[0].notes, [`Secret ${TRUST} not found`]);
        });
    });

    it("counts a consumer without pods as converged, and says so", () => {
        const secrets = clusterSecrets(phases["trust-both"]);
        const rows = rotationStatus(phaseExpectation("trust-both"), CONSUMERS, secrets, []);
        assert.ok(rows.every((r) => r.converged && r.pods === 0));
        assert.match(rows[0].notes[0], /^no pods found/);
    });

    it("finds a missing Secret, and stores that disagree with one another", () => {
        const secrets = clusterSecrets(phases["trust-both"]);
        const mixed = new Map(secrets);
        mixed.delete("spin-gate-tls");
        mixed.set("spin-redis-tls", clusterSecrets(phases["trust-next"]).get("spin-redis-tls")!);
        const rows = rotationStatus(phaseExpectation("trust-both"), CONSUMERS, mixed, []);
        assert.deepStrictEqual(rows.find((r) => r.consumer === "gate")!.notes, ["Secret spin-gate-tls not found"]);
        const redis = rows.find((r) => r.consumer === "redis")!;
        assert.strictEqual(redis.converged, false);
        assert.ok(redis.notes.includes("its ca.crt holds other CAs than orca's"), redis.notes.join("\n"));
    });

    it("matches pods to consumers by the names their Deployments and StatefulSets give them, and no others", () => {
        const [orca, , redis] = CONSUMERS;
        assert.ok(orca.podName.test("spin-orca-6d4f9c7b8-x2x9q"));
        assert.ok(!orca.podName.test("spin-orca-bootstrap-6d4f9c7b8-x2x9q") && !orca.podName.test("spin-orca-0"));
        assert.ok(redis.podName.test("spin-redis-0") && !redis.podName.test("spin-redis-go-0"));
    });
});
