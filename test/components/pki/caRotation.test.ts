// The CA rotation's pure parts: which CAs each phase trusts and which signs,
// a CA's identity across deployments, and the gate. The gate is checked
// against a model of its own: while a phase rolls out, any pod may hold the
// last deployment's certificate and store or this one's, so a step is safe
// exactly when every certificate of either deployment verifies against every
// store of either. The model below enumerates those four meetings; it does
// not reuse the gate's rule.
import * as assert from "assert";
import * as crypto from "crypto";
import { CA_ROTATION_PHASES, CaRotationPhase } from "../../../components/config/pkiConfig";
import { CaTrust, FORCE_CA_ROTATION_ENV, PHASE_PLAN, caIdentity, caResourceName, caRotationGateProblems, caTrustOf, parseCaTrust, phaseRoles, rotationProgress } from "../../../components/pki/caRotation";
import { newCa } from "../../support/pki";

const ECDSA = { algorithm: "ECDSA", ecdsaCurve: "P256" } as const;

/** The four meetings of a rolling restart: each side's certificate against each side's store. */
function failedMeetings(last: CaTrust, next: CaTrust): string[] {
    const out: string[] = [];
    for (const [certSide, signer] of [["last", last.signer], ["next", next.signer]] as const) {
        for (const [storeSide, store] of [["last", last.trusted], ["next", next.trusted]] as const) {
            if (!store.includes(signer)) out.push(`${certSide} certificate, ${storeSide} store`);
        }
    }
    return out;
}

describe("CA rotation: phases, identities and the gate", () => {
    it("each phase trusts and signs as the issue says", () => {
        // Written out from the definitions, not from PHASE_PLAN.
        const expected: Record<CaRotationPhase, { trusted: string[]; signer: string }> = {
            none: { trusted: ["current"], signer: "current" },
            "trust-both": { trusted: ["current", "next"], signer: "current" },
            "issue-next": { trusted: ["current", "next"], signer: "next" },
            "trust-next": { trusted: ["next"], signer: "next" },
        };
        for (const phase of CA_ROTATION_PHASES) assert.deepStrictEqual({ ...PHASE_PLAN[phase], trusted: [...PHASE_PLAN[phase].trusted] }, expected[phase], phase);
        assert.deepStrictEqual(phaseRoles("trust-next"), ["next"], "trust-next drops the current CA's resources");
        assert.deepStrictEqual(phaseRoles("none"), ["current"]);
    });

    it("names the first generated CA as it always was, and later ones by generation", () => {
        assert.strictEqual(caResourceName(1), "spinnaker-ca");
        assert.strictEqual(caResourceName(2), "spinnaker-ca-g2");
        assert.strictEqual(caResourceName(17), "spinnaker-ca-g17");
    });

    it("identifies an imported CA by its signer's fingerprint, and a generated one by generation, key and organization", () => {
        const ca = newCa("Imported");
        const fingerprint = new crypto.X509Certificate(ca.certPem).fingerprint256.replace(/:/g, "").toLowerCase();
        assert.strictEqual(caIdentity({ imported: { certPem: ca.certPem }, generation: 1, key: ECDSA, organization: "O" }), `imported sha256:${fingerprint}`);
        assert.strictEqual(caIdentity({ imported: { certPem: ca.certPem }, generation: 5, key: { algorithm: "RSA", rsaBits: 4096 }, organization: "X" }), `imported sha256:${fingerprint}`, "an imported CA is itself whatever the generation");
        const generated = caIdentity({ generation: 1, key: ECDSA, organization: "Spinnaker" });
        assert.strictEqual(generated, "generated 1 ECDSA-P256 O=Spinnaker");
        // Each of these makes a new certificate that no peer holding the old one trusts.
        for (const other of [
            { generation: 2, key: ECDSA, organization: "Spinnaker" },
            { generation: 1, key: { algorithm: "ECDSA", ecdsaCurve: "P384" } as const, organization: "Spinnaker" },
            { generation: 1, key: { algorithm: "RSA", rsaBits: 3072 } as const, organization: "Spinnaker" },
            { generation: 1, key: ECDSA, organization: "Acme" },
        ]) {
            assert.notStrictEqual(caIdentity(other), generated, JSON.stringify(other));
        }
    });

    it("reads a recorded caTrust, and takes anything else for no record", () => {
        assert.deepStrictEqual(parseCaTrust({ trusted: ["a", "b"], signer: "a" }), { trusted: ["a", "b"], signer: "a" });
        for (const bad of [undefined, null, "x", {}, { trusted: [], signer: "a" }, { trusted: ["a"] }, { trusted: [1], signer: "a" }, { trusted: "a", signer: "a" }]) {
            assert.strictEqual(parseCaTrust(bad), undefined, JSON.stringify(bad));
        }
    });

    describe("the gate agrees with the handshake model on every step between phases", () => {
        const identities = { current: "generated 1 ECDSA-P256 O=S", next: "generated 2 ECDSA-P256 O=S" };
        // Finishing: the next CA is the current one of a stack at "none".
        const finished: CaTrust = { trusted: [identities.next], signer: identities.next };
        const states: [string, CaTrust][] = [...CA_ROTATION_PHASES.map((p): [string, CaTrust] => [p, caTrustOf(p, identities)]), ["finished", finished]];
        // Finished trusts as trust-next does, so issue-next may finish at once (trust-next and the finish in one up).
        const allowed = new Set([
            "none>trust-both",
            "trust-both>issue-next",
            "issue-next>trust-next",
            "trust-next>finished",
            "issue-next>finished",
            "trust-both>none",
            "issue-next>trust-both",
            "trust-next>issue-next",
            "finished>issue-next",
            "finished>trust-next",
        ]);
        for (const [from, last] of states) {
            for (const [to, next] of states) {
                if (from === to) continue;
                const phase: CaRotationPhase = to === "finished" ? "none" : (to as CaRotationPhase);
                const safe = failedMeetings(last, next).length === 0;
                it(`${from} → ${to}: ${safe ? "allowed" : "refused"}`, () => {
                    // The order and the safe steps back; everything else would fail a handshake.
                    assert.strictEqual(safe, allowed.has(`${from}>${to}`), `the model and the expected list disagree on ${from} → ${to}`);
                    const problems = caRotationGateProblems(last, next, phase, undefined);
                    assert.strictEqual(problems.length === 0, safe, problems.join("\n"));
                });
            }
        }
    });

    it("says which CA is untrusted where, names caRotation, and how to force the one step", () => {
        const last = caTrustOf("trust-both", { current: "generated 1 ECDSA-P256 O=S", next: "generated 2 ECDSA-P256 O=S" });
        const next = caTrustOf("trust-next", { next: "generated 2 ECDSA-P256 O=S" });
        const [problem] = caRotationGateProblems(last, next, "trust-next", undefined);
        assert.match(problem, /^spinnaker-mtls:caRotation is "trust-next"/);
        assert.match(problem, /the generated CA of generation 1 \(ECDSA-P256, O=S\) signed the last deployment's certificates, but this deployment's stores do not trust it/);
        assert.ok(problem.endsWith(`set ${FORCE_CA_ROTATION_ENV}=trust-next`), problem);
    });

    it("lets exactly the forced phase through, and judges nothing without a last deployment", () => {
        const last = caTrustOf("none", { current: "a" });
        const next = caTrustOf("issue-next", { current: "a", next: "b" });
        assert.strictEqual(caRotationGateProblems(last, next, "issue-next", "issue-next").length, 0);
        assert.strictEqual(caRotationGateProblems(last, next, "issue-next", "trust-next").length, 1, "forcing another phase forces nothing");
        assert.strictEqual(caRotationGateProblems(undefined, next, "issue-next", undefined).length, 0);
    });

    it("refuses a CA swapped in one step outside a rotation", () => {
        const problems = caRotationGateProblems(caTrustOf("none", { current: "imported sha256:aa" }), caTrustOf("none", { current: "imported sha256:bb" }), "none", undefined);
        assert.strictEqual(problems.length, 1);
        assert.match(problems[0], /the imported CA sha256:aa… signed the last deployment's certificates, but this deployment's stores do not trust it/);
    });

    it("orders stacks' rotations: phases in turn, and a finished rotation after every phase of it", () => {
        const order: [number, CaRotationPhase][] = [[1, "none"], [1, "trust-both"], [1, "issue-next"], [1, "trust-next"], [2, "none"], [2, "trust-both"]];
        const progress = order.map(([g, p]) => rotationProgress(g, p));
        assert.deepStrictEqual(progress, [...progress].sort((a, b) => a - b));
        assert.strictEqual(new Set(progress).size, order.length, "no two steps are level");
    });
});
