import * as assert from "assert";
import { kube, messages } from "../../support/policyPack";

const POLICY = "destination-rule-no-disable";
const dr = (spec: Record<string, unknown>) => kube("networking.istio.io/v1", "DestinationRule", { name: "spin-gate", namespace: "spinnaker" }, { spec: { host: "spin-gate.spinnaker.svc.cluster.local", ...spec } });
const fix = "Fix: use ISTIO_MUTUAL (or remove the tls block to keep the mesh default)";

describe("policy destination-rule-no-disable", () => {
    it("accepts ISTIO_MUTUAL everywhere, and a rule without TLS settings", async () => {
        const mutual = { tls: { mode: "ISTIO_MUTUAL" } };
        assert.deepStrictEqual(await messages(POLICY, [dr({ trafficPolicy: { ...mutual, portLevelSettings: [{ port: { number: 8084 }, ...mutual }] }, subsets: [{ name: "v1", trafficPolicy: mutual }] }), dr({})]), []);
    });

    it("refuses DISABLE in the top-level traffic policy", async () => {
        assert.deepStrictEqual(await messages(POLICY, [dr({ trafficPolicy: { tls: { mode: "DISABLE" } } })]), [
            `DestinationRule spinnaker/spin-gate: spec.trafficPolicy.tls.mode: is DISABLE, so the sidecar sends plaintext. ${fix}`,
        ]);
    });

    it("refuses DISABLE in a port-level setting", async () => {
        assert.deepStrictEqual(await messages(POLICY, [dr({ trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" }, portLevelSettings: [{ port: { number: 8084 }, tls: { mode: "DISABLE" } }] } })]), [
            `DestinationRule spinnaker/spin-gate: spec.trafficPolicy.portLevelSettings[0].tls.mode: is DISABLE, so the sidecar sends plaintext. ${fix}`,
        ]);
    });

    it("refuses DISABLE in a subset, and in a subset's port-level setting", async () => {
        const subsets = [
            { name: "a", trafficPolicy: { tls: { mode: "DISABLE" } } },
            { name: "b", trafficPolicy: { portLevelSettings: [{ port: { number: 1 }, tls: { mode: "ISTIO_MUTUAL" } }, { port: { number: 2 }, tls: { mode: "DISABLE" } }] } },
        ];
        assert.deepStrictEqual(await messages(POLICY, [dr({ subsets })]), [
            `DestinationRule spinnaker/spin-gate: spec.subsets[0].trafficPolicy.tls.mode: is DISABLE, so the sidecar sends plaintext. ${fix}`,
            `DestinationRule spinnaker/spin-gate: spec.subsets[1].trafficPolicy.portLevelSettings[1].tls.mode: is DISABLE, so the sidecar sends plaintext. ${fix}`,
        ]);
    });
});
