import * as assert from "assert";
import { kube, messages } from "../../support/policyPack";

const POLICY = "peer-authentication-strict";
const pa = (spec: Record<string, unknown>, opts: { patch?: boolean; version?: string } = {}) =>
    kube(`security.istio.io/${opts.version ?? "v1"}`, "PeerAuthentication", { name: "default", namespace: "spinnaker" }, { spec }, opts);

describe("policy peer-authentication-strict", () => {
    it("accepts STRICT, with STRICT port-level settings too", async () => {
        assert.deepStrictEqual(await messages(POLICY, [pa({ mtls: { mode: "STRICT" } }), pa({ selector: { matchLabels: { app: "x" } }, mtls: { mode: "STRICT" }, portLevelMtls: { 8080: { mode: "STRICT" } } })]), []);
    });

    it("refuses PERMISSIVE, whatever the API version", async () => {
        assert.deepStrictEqual(await messages(POLICY, [pa({ mtls: { mode: "PERMISSIVE" } }, { version: "v1beta1" })]), [
            "PeerAuthentication spinnaker/default: spec.mtls.mode: is 'PERMISSIVE', which lets plaintext in. Fix: set spec.mtls.mode: STRICT",
        ]);
    });

    it("refuses DISABLE", async () => {
        assert.deepStrictEqual(await messages(POLICY, [pa({ mtls: { mode: "DISABLE" } })]), [
            "PeerAuthentication spinnaker/default: spec.mtls.mode: is 'DISABLE', which lets plaintext in. Fix: set spec.mtls.mode: STRICT",
        ]);
    });

    it("refuses a policy that leaves the mode unset", async () => {
        assert.deepStrictEqual(await messages(POLICY, [pa({})]), [
            "PeerAuthentication spinnaker/default: spec.mtls.mode: is not set (UNSET inherits, PERMISSIVE by default), which lets plaintext in. Fix: set spec.mtls.mode: STRICT",
        ]);
    });

    it("refuses a port-level override that reopens a port, even under a STRICT policy", async () => {
        const strictWithHole = pa({ selector: { matchLabels: { cluster: "spin-gate" } }, mtls: { mode: "STRICT" }, portLevelMtls: { 8084: { mode: "PERMISSIVE" }, 8085: { mode: "DISABLE" } } });
        assert.deepStrictEqual(await messages(POLICY, [strictWithHole]), [
            "PeerAuthentication spinnaker/default: spec.portLevelMtls.8084.mode: is 'PERMISSIVE', which lets plaintext in on port 8084. Fix: set it to STRICT or remove the port-level entry",
            "PeerAuthentication spinnaker/default: spec.portLevelMtls.8085.mode: is 'DISABLE', which lets plaintext in on port 8085. Fix: set it to STRICT or remove the port-level entry",
        ]);
    });

    it("judges a server-side-apply patch only on what it sets", async () => {
        assert.deepStrictEqual(await messages(POLICY, [pa({ selector: { matchLabels: { app: "x" } } }, { patch: true })]), []);
        assert.strictEqual((await messages(POLICY, [pa({ mtls: { mode: "PERMISSIVE" } }, { patch: true })])).length, 1);
    });
});
