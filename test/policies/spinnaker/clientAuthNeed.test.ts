import * as assert from "assert";
import { evaluate, messages } from "../../support/policyPack";
import { NS, clone, goProfile, spinnakerConfig, spinnakerService } from "../fixtures";

const POLICY = "spinnaker-client-auth-need";
const SPIN = `SpinnakerService ${NS}/spinnaker`;
const want = (where: string, svc: string) =>
    `${SPIN}: ${where}: ${svc} has client-auth 'want': a caller without a certificate still gets in. Fix: finish the rollout: set clientAuth: need in the stack config`;

describe("policy spinnaker-client-auth-need", () => {
    it("accepts need on every Java and Go service", async () => {
        const f = clone(spinnakerService());
        spinnakerConfig(f).profiles.dinghy = goProfile("dinghy");
        assert.deepStrictEqual(await messages(POLICY, [f]), []);
    });

    it("reports want on each service", async () => {
        assert.deepStrictEqual(
            await messages(POLICY, [spinnakerService({ clientAuth: "want" })]),
            ["clouddriver", "echo", "front50", "gate", "orca", "rosco"].map((s) => want(`spec.spinnakerConfig.profiles.${s}.server.ssl.client-auth`, s)),
        );
    });

    it("reads a Go service's clientAuth, Spring's camelCase spelling and an environment override", async () => {
        const f = clone(spinnakerService());
        const dinghy = goProfile("dinghy");
        dinghy.server.ssl.clientAuth = "want";
        spinnakerConfig(f).profiles.dinghy = dinghy;
        const rosco = (spinnakerConfig(f).profiles.rosco as { server: { ssl: Record<string, unknown> } }).server.ssl;
        delete rosco["client-auth"];
        rosco.clientAuth = "want";
        spinnakerConfig(f)["service-settings"].gate.env = { SERVER_SSL_CLIENTAUTH: "want" };
        assert.deepStrictEqual(await messages(POLICY, [f]), [
            want("spec.spinnakerConfig.profiles.dinghy.server.ssl.clientAuth", "dinghy"),
            want("spec.spinnakerConfig.service-settings.gate.env.SERVER_SSL_CLIENTAUTH", "gate"),
            want("spec.spinnakerConfig.profiles.rosco.server.ssl.clientAuth", "rosco"),
        ]);
    });

    it("lets Gate's browser-facing port ask without requiring only beside an API port (default.apiPort) that requires a certificate", async () => {
        const f = clone(spinnakerService());
        const gate = spinnakerConfig(f).profiles.gate as { server: { ssl: Record<string, unknown> }; default?: Record<string, unknown> };
        gate.server.ssl["client-auth"] = "want";
        assert.deepStrictEqual(await messages(POLICY, [f]), [want("spec.spinnakerConfig.profiles.gate.server.ssl.client-auth", "gate")]);
        gate.default = { apiPort: 8085 };
        assert.deepStrictEqual(await messages(POLICY, [f]), []);
        // Not a port: the exemption does not apply.
        gate.default = { apiPort: "none" };
        assert.deepStrictEqual(await messages(POLICY, [f]), [want("spec.spinnakerConfig.profiles.gate.server.ssl.client-auth", "gate")]);
        // Only Gate has such a second listener.
        const orca = spinnakerConfig(f).profiles.orca as { server: { ssl: Record<string, unknown> }; default?: Record<string, unknown> };
        gate.default = { apiPort: 8085 };
        orca.server.ssl["client-auth"] = "want";
        orca.default = { apiPort: 8085 };
        assert.deepStrictEqual(await messages(POLICY, [f]), [want("spec.spinnakerConfig.profiles.orca.server.ssl.client-auth", "orca")]);
    });

    it("takes its level from the policy config: mandatory by default, advisory while a rollout runs (dev.json)", async () => {
        const f = spinnakerService({ clientAuth: "want" });
        const levels = async (config: Record<string, unknown>) => [...new Set((await evaluate([f], config)).findings.filter((x) => x.policy === POLICY).map((x) => x.level))];
        assert.deepStrictEqual(await levels({}), ["mandatory"]);
        assert.deepStrictEqual(await levels({ [POLICY]: "advisory" }), ["advisory"]);
        assert.deepStrictEqual(await levels({ [POLICY]: "disabled" }), []);
    });
});
