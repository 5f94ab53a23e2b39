import * as assert from "assert";
import { gateApiServiceSpec } from "../../../components/spinnaker/gateApiService";
import { kube } from "../../support/policyPack";
import { messages } from "../../support/policyPack";
import { NS, clone, spinnakerConfig, spinnakerService } from "../fixtures";

const POLICY = "spinnaker-gate-api-port";
const SPIN = `SpinnakerService ${NS}/spinnaker`;
const noWayIn = (port: number, where = "spec.spinnakerConfig.profiles.gate.default.apiPort") =>
    `${SPIN}: ${where}: Gate's client-certificate port ${port} has no way in: no Service in namespace ${NS} selects cluster=spin-gate on port ${port}, and spec.expose is not set, so every caller uses the port that only asks for a certificate. ` +
    `Fix: declare a Service selecting cluster=spin-gate with targetPort ${port} (the program's spin-gate-api), or set spec.expose for the Operator's spin-gate-x509`;

/** A SpinnakerService whose Gate has its client-certificate port. */
function withApiPort(port: unknown = 8085) {
    const f = clone(spinnakerService());
    (spinnakerConfig(f).profiles.gate as Record<string, unknown>).default = { apiPort: port };
    return f;
}

/** A Service in front of Gate's pods, written by hand (not from the program's spec). */
const service = (opts: { namespace?: string; selector?: Record<string, string>; port?: number; targetPort?: number } = {}) =>
    kube("v1", "Service", { name: "gate-client-cert", namespace: opts.namespace ?? NS }, {
        spec: { selector: opts.selector ?? { app: "spin", cluster: "spin-gate" }, ports: [{ port: opts.port ?? 443, targetPort: opts.targetPort ?? 8085 }] },
    });

describe("policy spinnaker-gate-api-port", () => {
    it("accepts an API port with a Service in front of it, the program's own included, or with spec.expose", async () => {
        assert.deepStrictEqual(await messages(POLICY, [withApiPort(), service()]), []);
        const program = kube("v1", "Service", { name: "spin-gate-api", namespace: NS }, { spec: gateApiServiceSpec() });
        assert.deepStrictEqual(await messages(POLICY, [withApiPort(), program]), []);
        const exposed = withApiPort();
        (exposed.inputs.spec as Record<string, unknown>).expose = { type: "service", service: { type: "LoadBalancer" } };
        assert.deepStrictEqual(await messages(POLICY, [exposed]), []);
        // A targetPort left out is the port itself.
        const sameNumber = kube("v1", "Service", { name: "gate-client-cert", namespace: NS }, { spec: { selector: { cluster: "spin-gate" }, ports: [{ port: 8085 }] } });
        assert.deepStrictEqual(await messages(POLICY, [withApiPort(), sameNumber]), []);
    });

    it("has nothing to judge without an API port (Gate behind the ingress)", async () => {
        assert.deepStrictEqual(await messages(POLICY, [spinnakerService()]), []);
    });

    it("refuses an API port with no Service", async () => {
        assert.deepStrictEqual(await messages(POLICY, [withApiPort()]), [noWayIn(8085)]);
    });

    it("refuses a Service that does not reach it: another port, other pods, another namespace, a patch", async () => {
        assert.deepStrictEqual(await messages(POLICY, [withApiPort(), service({ targetPort: 8084 })]), [noWayIn(8085)]);
        assert.deepStrictEqual(await messages(POLICY, [withApiPort(), service({ selector: { app: "spin", cluster: "spin-deck" } })]), [noWayIn(8085)]);
        assert.deepStrictEqual(await messages(POLICY, [withApiPort(), service({ namespace: "elsewhere" })]), [noWayIn(8085)]);
        const patch = kube("v1", "Service", { name: "spin-gate", namespace: NS }, { spec: { selector: { cluster: "spin-gate" }, ports: [{ port: 8085, targetPort: 8085 }] } }, { patch: true });
        assert.deepStrictEqual(await messages(POLICY, [withApiPort(), patch]), [noWayIn(8085)]);
    });

    it("judges the port Gate really listens on, wherever it is set", async () => {
        const f = withApiPort(9443);
        assert.deepStrictEqual(await messages(POLICY, [f, service()]), [noWayIn(9443)]);
        assert.deepStrictEqual(await messages(POLICY, [f, service({ targetPort: 9443 })]), []);
    });
});
