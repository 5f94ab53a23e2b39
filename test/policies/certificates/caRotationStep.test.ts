import * as assert from "assert";
import { FORCE_CA_ROTATION_ENV } from "../../../components/pki/caRotation";
import { checkState } from "../../../engine/policyCheck";
import { Fixture, messages, policyPack } from "../../support/policyPack";
import { run } from "../../support/stacks";

const POLICY = "ca-rotation-step";
const OLD = "generated 1 ECDSA-P256 O=Spinnaker";
const NEW = "generated 2 ECDSA-P256 O=Spinnaker";
type Trust = { trusted: string[]; signer: string };
/** The component with its caTrust output and the last deployment's, as the program read it. */
const deployment = (planned: Trust, last?: Trust): Fixture[] => [
    { type: "spinnaker-mtls:index:SpinnakerMtls", name: "spinnaker", inputs: {}, outputs: { caTrust: planned, lastDeployedCaTrust: last ?? { trusted: [], signer: "" } } },
];
const NONE = { trusted: [OLD], signer: OLD };
const TRUST_BOTH = { trusted: [OLD, NEW], signer: OLD };
const ISSUE_NEXT = { trusted: [OLD, NEW], signer: NEW };
const TRUST_NEXT = { trusted: [NEW], signer: NEW };
const FIX = "Fix: take one caRotation phase per pulumi up: none, trust-both, issue-next, trust-next, then finish (docs/ca-rotation.md)";

describe("policy ca-rotation-step", () => {
    it("accepts each phase after the one before, the same trust again, and a first deployment", async () => {
        for (const [last, planned] of [[NONE, TRUST_BOTH], [TRUST_BOTH, ISSUE_NEXT], [ISSUE_NEXT, TRUST_NEXT], [TRUST_NEXT, TRUST_NEXT], [NONE, NONE]]) {
            assert.deepStrictEqual(await messages(POLICY, deployment(planned, last)), [], JSON.stringify({ last, planned }));
        }
        assert.deepStrictEqual(await messages(POLICY, deployment(TRUST_NEXT)), []);
    });

    it("refuses dropping the old CA while the last deployment's certificates are signed by it (trust-both straight to trust-next)", async () => {
        assert.deepStrictEqual(await messages(POLICY, deployment(TRUST_NEXT, TRUST_BOTH)), [
            `SpinnakerMtls spinnaker: caTrust: CA '${OLD}' signed the last deployment's certificates, but this deployment's stores do not hold it, so handshakes fail while the pods restart. ${FIX}`,
        ]);
    });

    it("refuses signing with a CA the last deployment's stores do not hold (none straight to issue-next)", async () => {
        assert.deepStrictEqual(await messages(POLICY, deployment(ISSUE_NEXT, NONE)), [
            `SpinnakerMtls spinnaker: caTrust: CA '${NEW}' signs this deployment's, but the last deployment's stores do not hold it, so handshakes fail while the pods restart. ${FIX}`,
        ]);
    });

    it("refuses a CA swapped in one step, naming both sides", async () => {
        assert.deepStrictEqual((await messages(POLICY, deployment(TRUST_NEXT, NONE))).length, 2);
    });

    it("judges the program's own exports: a rotation of dev passes step by step, and a forced skip is refused", async function () {
        this.timeout(60_000);
        const host = await policyPack();
        const findings = async (e: Parameters<typeof checkState>[0]) => (await checkState(e, host)).findings.filter((f) => f.policy === POLICY).map((f) => f.message);
        const none = await run({ stack: "dev" });
        const trustBoth = await run({ stack: "dev", config: { "spinnaker-mtls:caRotation": "trust-both" }, previous: none.export });
        assert.deepStrictEqual(await findings(trustBoth.export), []);
        const before = process.env[FORCE_CA_ROTATION_ENV];
        process.env[FORCE_CA_ROTATION_ENV] = "trust-next";
        try {
            const forced = await run({ stack: "dev", config: { "spinnaker-mtls:caRotation": "trust-next" }, previous: trustBoth.export });
            assert.deepStrictEqual(await findings(forced.export), [
                `SpinnakerMtls spinnaker: caTrust: CA '${OLD}' signed the last deployment's certificates, but this deployment's stores do not hold it, so handshakes fail while the pods restart. ${FIX}`,
            ]);
        } finally {
            if (before === undefined) delete process.env[FORCE_CA_ROTATION_ENV];
            else process.env[FORCE_CA_ROTATION_ENV] = before;
        }
    });
});
